#pragma once
// Docker's json-file log format, written by the monitor: one JSON object per line,
//   {"log":"hello\n","stream":"stdout","time":"2026-11-22T11:01:57.123456789Z"}
// with max-size/max-file rotation (<path>, <path>.1, ... <path>.<max_file-1>, oldest last).
// Plain C++ (no iostream, no JSON library, no exceptions): it is compiled into the tiny monitor.
#include <cstddef>
#include <cstdint>
#include <string>

namespace berth::monitor {

// Appends `data` JSON-string-escaped (without quotes) to out, as Go's encoding/json does:
// quotes, backslash, control characters and <, >, & become escapes.
void json_escape_append(std::string& out, const char* data, std::size_t len);

class JsonLogWriter {
 public:
  JsonLogWriter() = default;
  JsonLogWriter(const JsonLogWriter&) = delete;
  JsonLogWriter& operator=(const JsonLogWriter&) = delete;
  ~JsonLogWriter();

  // Opens (appends to) the log; max_size 0 = never rotate; max_file >= 1. Returns false on error
  // (errno set).
  bool open(const char* path, std::int64_t max_size, int max_file);
  // Writes one entry; `line` includes its '\n' unless it is a partial line.
  bool write(const char* stream, const char* line, std::size_t len, const char* time);
  void close();

 private:
  bool rotate();
  std::string path_;
  int fd_ = -1;
  std::int64_t size_ = 0;
  std::int64_t max_size_ = 0;
  int max_file_ = 1;
  std::string buf_;
};

// Splits a byte stream into lines; lines longer than kMaxLine are cut (Docker cuts at 16 KiB).
class LineSplitter {
 public:
  static constexpr std::size_t kMaxLine = 16 * 1024;
  // Calls emit(line, len) for each complete line (with '\n') in buf_ + data.
  template <class Emit>
  void feed(const char* data, std::size_t len, Emit&& emit) {
    for (std::size_t i = 0; i < len; ++i) {
      pending_.push_back(data[i]);
      if (data[i] == '\n' || pending_.size() >= kMaxLine) {
        emit(pending_.data(), pending_.size());
        pending_.clear();
      }
    }
  }
  // The unterminated rest at end of stream.
  template <class Emit>
  void flush(Emit&& emit) {
    if (!pending_.empty()) emit(pending_.data(), pending_.size());
    pending_.clear();
  }

 private:
  std::string pending_;
};

}  // namespace berth::monitor
