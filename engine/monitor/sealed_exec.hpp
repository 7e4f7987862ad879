#pragma once
// What may pass from berth into a container, and how berth's own binary is exec'd where a
// container can see it. Everything here is async-signal-safe and allocation-free: it runs
// between clone()/fork() and execve() in callers that share memory with their parent or have
// threads. Used by the monitor (own static binary) and by the runtime alike.
//
// Descriptors: nothing open in whatever ran berth (a shell's `exec 7</etc`, an IDE, CI agent)
// may reach a container, where /proc/self/fd/N would lead back into the host (runc
// CVE-2024-21626). Each hop that runs the next program closes or marks everything above what it
// hands on.
//
// The binary: a process inside a container whose /proc/self/exe is berth's binary (the init
// before it execs the command, the exec helper, or a command that re-executes /proc/self/exe
// through a "#!" line) would let the container open that binary and overwrite it on the host
// (runc CVE-2019-5736). exec_sealed() executes it from a read-only bind mount in a mount namespace
// of the caller's own, so every such open for writing fails with EROFS.

namespace berth::monitor {

// Closes every descriptor >= first (close_range(2), or one close() per possible descriptor on
// kernels before 5.9).
void close_fds_from(int first);
// Marks every descriptor >= first close-on-exec (CLOSE_RANGE_CLOEXEC, or fcntl per descriptor
// on kernels before 5.11).
void cloexec_fds_from(int first);
// The caller must be alone in a mount namespace (clone(CLONE_NEWNS) or unshare(CLONE_NEWNS)).
// Makes its mounts private, binds `path` read-only onto itself and execve()s it. Returns only on
// failure, with errno set (EPERM without CAP_SYS_ADMIN: the caller decides whether to go on).
int exec_sealed(const char* path, char* const argv[], char* const envp[]);

}  // namespace berth::monitor
