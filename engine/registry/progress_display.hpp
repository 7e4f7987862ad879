#pragma once
// Renders pull/push progress: on a terminal one line per layer with a bar, bytes and rate,
// redrawn in place (at most 10 times a second); otherwise plain lines, one per state change,
// so logs stay readable. Usable as a TransferProgress (thread-safe).
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/registry/registry.hpp"

namespace berth::engine {

class ProgressDisplay {
 public:
  enum class Mode { Tty, Plain, Quiet };
  // "auto" picks Tty when `out` is a terminal (and ANSI is allowed), else Plain; "tty", "plain",
  // "quiet" force one.
  static Mode choose(std::string_view flag, bool no_ansi, std::FILE* out);

  ProgressDisplay(Mode mode, std::FILE* out);
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  void on_event(const TransferEvent& e);
  TransferProgress callback() {
    return [this](const TransferEvent& e) { on_event(e); };
  }
  // Draws the final state (TTY) and stops redrawing.
  void finish();

  // "12.3MB", "512kB", "17B"

 private:
  struct Row {
    std::string id;
    std::string status;
    std::uint64_t current = 0;
    std::uint64_t total = 0;
    std::uint64_t started_at_bytes = 0;
    std::chrono::steady_clock::time_point started;
    bool active = false;  // bytes are moving (bar + rate shown)
  };
  void redraw_locked(bool force);
  std::string row_text(const Row& r) const;
  void plain_locked(const TransferEvent& e, Row& r);

  Mode mode_;
  std::FILE* out_;
  std::mutex mu_;
  std::vector<Row> rows_;
  std::map<std::string, size_t> index_;
  int drawn_ = 0;  // lines of rows currently on screen (TTY)
  std::chrono::steady_clock::time_point last_draw_{};
  bool finished_ = false;
};

}  // namespace berth::engine
