#include "engine/monitor/ns_join.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/monitor/launch.hpp"

namespace berth::monitor {

bool NamespaceJoin::enter(const Config& cfg, int& flags, std::string& error) {
  const struct {
    const std::string* mode;
    int type;
    const char* own;
    const char* key;
  } kinds[] = {{&cfg.pid_ns, CLONE_NEWPID, "/proc/thread-self/ns/pid", "pid"},
               {&cfg.ipc_ns, CLONE_NEWIPC, "/proc/thread-self/ns/ipc", "ipc"},
               {&cfg.uts_ns, CLONE_NEWUTS, "/proc/thread-self/ns/uts", "uts"}};
  for (int i = 0; i < 3; ++i) {
    const auto& k = kinds[i];
    if (k.mode->empty()) {
      flags |= k.type;
      continue;
    }
    if (*k.mode == "host") continue;
    int own = ::open(k.own, O_RDONLY | O_CLOEXEC);
    int target = ::open(k.mode->c_str(), O_RDONLY | O_CLOEXEC);
    if (own < 0 || target < 0 || ::setns(target, k.type) != 0) {
      int err = errno;
      if (own >= 0) ::close(own);
      if (target >= 0) ::close(target);
      leave();
      error = make_error(err, 125,
                         std::string(k.key) + ": joining the namespace " + *k.mode + ": " + std::strerror(err) +
                             " (is the container it belongs to running?)");
      return false;
    }
    ::close(target);
    saved_[i] = {own, k.type};
  }
  return true;
}

void NamespaceJoin::leave() {
  for (auto& s : saved_) {
    if (s.own < 0) continue;
    ::setns(s.own, s.type);  // back to the monitor's own (cannot fail: it is where we came from)
    ::close(s.own);
    s.own = -1;
  }
}

}  // namespace berth::monitor
