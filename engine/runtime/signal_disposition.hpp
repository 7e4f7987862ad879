#pragma once
// Whether a signal sent to a container's PID 1 from outside can do anything. The init of a pid
// namespace is immune to every signal it has no handler for (SIGKILL and SIGSTOP from an ancestor
// namespace aside): the kernel discards it. A shell-form CMD, `sleep` or busybox `httpd` as PID 1
// never sees SIGTERM, so waiting a grace period for it to act is waiting for nothing.
#include <sys/types.h>

#include <string_view>

namespace berth::engine {

// From the text of /proc/PID/status: true when the process is the init of its pid namespace (its
// last NSpid is 1) and `sig` is neither caught (SigCgt) nor blocked (SigBlk) by it.
bool init_discards_signal(std::string_view proc_status, int sig);

// From the text of /proc/PID/syscall: true when the process sleeps in rt_sigtimedwait.
bool waits_in_sigtimedwait(std::string_view proc_syscall);

// The same for a live process, also false while it sleeps in sigwaitinfo (its status then hides
// the signals it waits for) or when its status cannot be read (then the caller waits).
bool init_discards_signal(pid_t pid, int sig);

}  // namespace berth::engine
