#include "engine/monitor/json_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace berth::monitor {

void json_escape_append(std::string& out, const char* data, std::size_t len) {
  static const char hex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < len; ++i) {
    unsigned char c = static_cast<unsigned char>(data[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == '<' || c == '>' || c == '&') {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}

JsonLogWriter::~JsonLogWriter() { close(); }

bool JsonLogWriter::open(const char* path, std::int64_t max_size, int max_file) {
  close();
  path_ = path;
  max_size_ = max_size;
  max_file_ = max_file < 1 ? 1 : max_file;
  fd_ = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return false;
  struct stat st;
  size_ = ::fstat(fd_, &st) == 0 ? st.st_size : 0;
  return true;
}

void JsonLogWriter::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

// Docker's order: <path>.N-1 is dropped, <path>.i -> <path>.i+1, <path> -> <path>.1.
bool JsonLogWriter::rotate() {
  if (max_file_ <= 1) {
    if (::ftruncate(fd_, 0) != 0) return false;
    size_ = 0;
    return true;
  }
  char from[4096], to[4096];
  for (int i = max_file_ - 1; i >= 1; --i) {
    if (i == 1)
      std::snprintf(from, sizeof from, "%s", path_.c_str());
    else
      std::snprintf(from, sizeof from, "%s.%d", path_.c_str(), i - 1);
    std::snprintf(to, sizeof to, "%s.%d", path_.c_str(), i);
    if (::rename(from, to) != 0 && errno != ENOENT) return false;
  }
  ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  size_ = 0;
  return fd_ >= 0;
}

bool JsonLogWriter::write(const char* stream, const char* line, std::size_t len, const char* time) {
  if (fd_ < 0) return false;
  if (max_size_ > 0 && size_ >= max_size_ && !rotate()) return false;
  buf_.clear();
  buf_ += "{\"log\":\"";
  json_escape_append(buf_, line, len);
  buf_ += "\",\"stream\":\"";
  buf_ += stream;
  buf_ += "\",\"time\":\"";
  buf_ += time;
  buf_ += "\"}\n";
  const char* p = buf_.data();
  std::size_t left = buf_.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  size_ += static_cast<std::int64_t>(buf_.size());
  return true;
}

}  // namespace berth::monitor
