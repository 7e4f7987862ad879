#pragma once
// Container output prefixed "web-1  | " and coloured per service, as compose prints it.
#include <mutex>
#include <string>
#include <vector>

#include "engine/runtime/runtime.hpp"

namespace berth::cli {

class LogPrinter {
 public:
  // prefix false: the bare lines (--no-log-prefix).
  LogPrinter(const std::vector<engine::ContainerInfo>& containers, bool color, bool prefix = true);
  // Prints the container's log entries (follows when asked) with its prefix.
  void follow(engine::Runtime& rt, const engine::ContainerInfo& c, const engine::LogsOptions& o);
  void line(const engine::ContainerInfo& c, const std::string& text, const std::string& time = "");

 private:
  std::string prefix(const engine::ContainerInfo& c) const;
  size_t width_ = 0;
  bool color_;
  bool prefix_ = true;
  std::mutex m_;
};

}  // namespace berth::cli
