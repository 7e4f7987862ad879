#pragma once
// Undo steps for a multi-step create: run in reverse order unless dismiss() was called.
#include <functional>
#include <vector>

#include "base/log.hpp"

namespace berth {

class Rollback {
 public:
  Rollback() = default;
  Rollback(const Rollback&) = delete;
  Rollback& operator=(const Rollback&) = delete;
  ~Rollback() {
    if (dismissed_) return;
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
      try {
        (*it)();
      } catch (const std::exception& e) {
        log::warn("rollback step failed: {}", e.what());
      }
    }
  }
  void add(std::function<void()> step) { steps_.push_back(std::move(step)); }
  void dismiss() noexcept { dismissed_ = true; }

 private:
  std::vector<std::function<void()>> steps_;
  bool dismissed_ = false;
};

}  // namespace berth
