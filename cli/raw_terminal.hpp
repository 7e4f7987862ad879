#pragma once
// The caller's terminal in raw mode while a container's tty is attached to it, restored when
// the scope ends (also on an exception): keys go to the container as typed, Ctrl-C included.
#include <termios.h>

namespace berth::cli {

class RawTerminal {
 public:
  explicit RawTerminal(int fd);  // does nothing when fd is not a terminal
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  ~RawTerminal();

 private:
  int fd_;
  bool active_ = false;
  termios saved_{};
};

}  // namespace berth::cli
