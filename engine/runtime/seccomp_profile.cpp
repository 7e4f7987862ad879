#include "engine/runtime/seccomp_profile.hpp"

#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "base/error.hpp"
#include "base/hex.hpp"
#include "base/unique_fd.hpp"

namespace berth::engine {
namespace {

// Allowed for everybody (Docker's first rule).
const char* const kAllowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset", "chdir",
    "chmod", "chown", "clock_adjtime", "clock_getres", "clock_gettime", "clock_nanosleep", "close", "close_range",
    "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
    "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve",
    "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fallocate", "fanotify_mark", "fchdir",
    "fchmod", "fchmodat", "fchmodat2", "fchown", "fchownat", "fcntl", "fdatasync", "fgetxattr", "flistxattr", "flock",
    "fork", "fremovexattr", "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate", "futex", "futex_requeue",
    "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid",
    "geteuid", "getgid", "getgroups", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid",
    "getpriority", "getrandom", "getresgid", "getresuid", "getrlimit", "get_robust_list", "getrusage", "getsid",
    "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getxattr",
    "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy",
    "io_getevents", "io_pgetevents", "ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc", "kill",
    "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lgetxattr", "link", "linkat",
    "listen", "listxattr", "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat", "madvise", "map_shadow_stack",
    "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock",
    "mlock2", "mlockall", "mmap", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
    "mq_timedsend", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall",
    "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "open", "openat", "openat2", "pause", "pidfd_open",
    "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "prctl",
    "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6", "pwrite64", "pwritev", "pwritev2",
    "read", "readahead", "readlink", "readlinkat", "readv", "recvfrom", "recvmmsg", "recvmsg", "remap_file_pages",
    "removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction",
    "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
    "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity", "sched_setattr",
    "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop",
    "semtimedop", "sendfile", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsuid", "setgid", "setgroups",
    "setitimer", "setpgid", "setpriority", "setregid", "setresgid", "setresuid", "setreuid", "setrlimit",
    "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setxattr", "shmat",
    "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "socketpair", "splice", "stat",
    "statfs", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill",
    "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime", "timerfd_create",
    "timerfd_gettime", "timerfd_settime", "times", "tkill", "truncate", "umask", "uname", "unlink", "unlinkat", "utime",
    "utimensat", "utimes", "vfork", "vmsplice", "wait4", "waitid", "write", "writev",
    // amd64 extras, and ptrace with process_vm_* (Docker allows them all on kernels >= 4.8)
    "arch_prctl", "modify_ldt", "ptrace", "process_vm_readv", "process_vm_writev"};

struct CapSyscalls {
  const char* cap;
  std::vector<const char*> syscalls;
};

const CapSyscalls kByCapability[] = {
    {"CAP_SYS_ADMIN",
     {"bpf", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie", "mount",
      "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd", "setdomainname",
      "sethostname", "setns", "syslog", "umount", "umount2", "unshare"}},
    {"CAP_SYS_BOOT", {"reboot"}},
    {"CAP_SYS_CHROOT", {"chroot"}},
    {"CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}},
    {"CAP_SYS_PACCT", {"acct"}},
    {"CAP_SYS_PTRACE", {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev"}},
    {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
    {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime"}},
    {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
    {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
    {"CAP_SYSLOG", {"syslog"}},
    {"CAP_BPF", {"bpf"}},
    {"CAP_PERFMON", {"perf_event_open"}},
};

struct CtxFree {
  void operator()(scmp_filter_ctx c) const { seccomp_release(c); }
};

void allow(scmp_filter_ctx ctx, const char* name) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return;  // unknown to this libseccomp: nothing to allow
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
  if (rc < 0 && rc != -EEXIST && nr >= 0) throw_sys(-rc, "seccomp_rule_add", name);
}

}  // namespace

std::size_t default_seccomp_allowlist_size() { return std::size(kAllowed); }

namespace {

std::string compile_default_seccomp(const std::vector<std::string>& caps) {
  auto has = [&](const char* c) { return std::find(caps.begin(), caps.end(), c) != caps.end(); };
  std::unique_ptr<void, CtxFree> ctx(seccomp_init(SCMP_ACT_ERRNO(EPERM)));
  if (!ctx) throw_sys(ENOMEM, "seccomp_init");
  // libseccomp would set no_new_privs on load by default; the caller owns that decision.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0); rc < 0) throw_sys(-rc, "seccomp_attr_set");
  for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
    if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
      int rc = seccomp_arch_add(ctx.get(), arch);
      if (rc < 0 && rc != -EEXIST) throw_sys(-rc, "seccomp_arch_add");
    }
  }
  for (const char* name : kAllowed) allow(ctx.get(), name);
  for (const auto& entry : kByCapability) {
    if (has(entry.cap))
      for (const char* name : entry.syscalls) allow(ctx.get(), name);
  }
  // Docker's personality values: PER_LINUX, PER_LINUX32, UNAME26 variants, and the query.
  for (scmp_datum_t p : {0x0ull, 0x8ull, 0x20000ull, 0x20008ull, 0xffffffffull}) {
    int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(personality), 1, SCMP_A0(SCMP_CMP_EQ, p));
    if (rc < 0) throw_sys(-rc, "seccomp_rule_add", "personality");
  }
  // socket: everything but AF_VSOCK (40).
  if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_NE, 40)); rc < 0)
    throw_sys(-rc, "seccomp_rule_add", "socket");
  if (has("CAP_SYS_ADMIN")) {
    allow(ctx.get(), "clone");
    allow(ctx.get(), "clone3");
  } else {
    const scmp_datum_t ns_flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                  CLONE_NEWNET | CLONE_NEWCGROUP;
    int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags, 0));
    if (rc < 0) throw_sys(-rc, "seccomp_rule_add", "clone");
    rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (rc < 0) throw_sys(-rc, "seccomp_rule_add", "clone3");
  }
  // Export the BPF program (libseccomp 2.5 exports to a file descriptor only).
  UniqueFd mem(::memfd_create("berth-seccomp", MFD_CLOEXEC));
  if (!mem) throw_errno("memfd_create");
  if (int rc = seccomp_export_bpf(ctx.get(), mem.get()); rc < 0) throw_sys(-rc, "seccomp_export_bpf");
  std::string bpf(static_cast<std::size_t>(::lseek(mem.get(), 0, SEEK_END)), '\0');
  if (::pread(mem.get(), bpf.data(), bpf.size(), 0) != static_cast<ssize_t>(bpf.size()) || bpf.size() % sizeof(sock_filter))
    throw_errno("reading the exported seccomp program");
  return to_hex(bpf);
}

}  // namespace

std::string default_seccomp_program(const std::vector<std::string>& caps) {
  static std::mutex mu;
  static std::map<std::vector<std::string>, std::string> cache;
  std::vector<std::string> key = caps;
  std::sort(key.begin(), key.end());
  std::lock_guard lock(mu);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, compile_default_seccomp(key)).first;
  return it->second;
}

void load_seccomp_program(const std::string& hex) {
  std::string bytes;
  try {
    bytes = from_hex(hex);
  } catch (const std::invalid_argument&) {
    bytes.clear();
  }
  if (bytes.empty() || bytes.size() % sizeof(sock_filter)) throw SysError(EINVAL, "seccomp program", "not a BPF program");
  std::vector<sock_filter> filter(bytes.size() / sizeof(sock_filter));
  std::memcpy(filter.data(), bytes.data(), bytes.size());
  sock_fprog prog{static_cast<unsigned short>(filter.size()), filter.data()};
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) throw_errno("seccomp(SECCOMP_SET_MODE_FILTER)");
}

}  // namespace berth::engine
