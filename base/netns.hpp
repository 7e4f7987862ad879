#pragma once
// Network-namespace helpers: open one by path, and enter one on the CURRENT THREAD for a scope
// (setns(CLONE_NEWNET) is per thread, so other threads of the process are not affected). Used to
// open netlink/other sockets inside a container's namespace: a socket stays bound to the
// namespace it was created in after the thread returns home.
#include <filesystem>

#include "base/unique_fd.hpp"

namespace berth {

// O_RDONLY|O_CLOEXEC fd of a netns file (/proc/PID/ns/net or a bind mount); throws SysError.
UniqueFd open_netns(const std::filesystem::path& path);

class ScopedNetns {
 public:
  // Enters the namespace of `ns_fd`; throws SysError (the thread stays where it was).
  explicit ScopedNetns(int ns_fd);
  // Returns the thread to its original namespace (aborts if that fails: the thread would be lost).
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;

 private:
  UniqueFd home_;
};

}  // namespace berth
