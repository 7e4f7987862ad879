#pragma once
// Stopping a build from outside (Ctrl-C): the running steps' containers are killed, so their
// steps fail at once and unwind (containers removed, mounts and staging dirs gone), and no new
// step starts. Thread-safe: the stages of a wave run in parallel.
#include <atomic>
#include <mutex>
#include <map>
#include <string>

#include "engine/runtime/runtime.hpp"

namespace berth::builder {

class BuildCancel {
 public:
  void cancel();
  bool cancelled() const { return flag_; }
  // Throws UserError("build cancelled", 130) once cancelled.
  void check() const;
  const std::atomic<bool>* flag() const { return &flag_; }

  // A step's container, killed by cancel() while registered.
  void enter(engine::Runtime& rt, const std::string& id);
  void leave(const std::string& id);

 private:
  std::atomic<bool> flag_{false};
  std::mutex mu_;
  std::map<std::string, engine::Runtime*> running_;
};

}  // namespace berth::builder
