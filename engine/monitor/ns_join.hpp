#pragma once
// The PID, IPC and UTS namespaces of the init (Config::pid_ns ...): the monitor's thread joins
// the ones to share before it clones the init (a PID namespace can only be entered by a new
// child), and goes back to its own right after.
#include <string>

#include "engine/monitor/monitor_config.hpp"

namespace berth::monitor {

class NamespaceJoin {
 public:
  NamespaceJoin() = default;
  ~NamespaceJoin() { leave(); }
  NamespaceJoin(const NamespaceJoin&) = delete;
  NamespaceJoin& operator=(const NamespaceJoin&) = delete;

  // Joins; the CLONE_NEW* flags the clone still needs are added to `flags`. False with `error`
  // (the init's error JSON) when a namespace cannot be joined (its container is gone).
  bool enter(const Config& cfg, int& flags, std::string& error);
  void leave();

 private:
  struct Saved {
    int own = -1;
    int type = 0;
  };
  Saved saved_[3];
};

}  // namespace berth::monitor
