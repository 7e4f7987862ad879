#include "engine/runtime/process_setup.hpp"

#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <signal.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "engine/monitor/sealed_exec.hpp"
#include "engine/runtime/capabilities.hpp"
#include "engine/runtime/reaper_loop.hpp"
#include "engine/runtime/seccomp_profile.hpp"

namespace berth::engine {
namespace {

std::string env_get(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env)
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=') return e.substr(key.size() + 1);
  return {};
}

bool has_env(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env)
    if (e.compare(0, key.size() + 1, key + "=") == 0) return true;
  return false;
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::string lookup_command(const std::string& name, const std::string& path_env) {
  auto check = [&](const std::string& candidate, bool explicit_path) -> bool {
    struct stat st;
    if (::stat(candidate.c_str(), &st) != 0) {
      if (explicit_path)
        throw UserError("exec: \"" + name + "\": stat " + candidate + ": no such file or directory", 127);
      return false;
    }
    if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111)) {
      if (explicit_path) throw UserError("exec: \"" + name + "\": permission denied", 126);
      return false;
    }
    return true;
  };
  if (name.empty()) throw UserError("exec: \"\": executable file not found in $PATH", 127);
  if (name.find('/') != std::string::npos) {
    check(name, true);
    return name;
  }
  std::string path = path_env.empty() ? kDefaultPath : path_env;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t end = path.find(':', pos);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(pos, end - pos);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    if (check(candidate, false)) return candidate;
    pos = end + 1;
  }
  throw UserError("exec: \"" + name + "\": executable file not found in $PATH", 127);
}

PreparedProcess prepare_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                const std::string& user, const std::vector<std::string>& group_add) {
  PreparedProcess p;
  if (argv.empty()) throw UserError("no command specified", 127);
  auto group_file = try_read_file("/etc/group");
  p.user = resolve_user(user, try_read_file("/etc/passwd"), group_file);
  add_groups(p.user, group_add, group_file);
  p.env = env;
  if (!has_env(p.env, "PATH")) p.env.push_back(std::string("PATH=") + kDefaultPath);
  if (!has_env(p.env, "HOME")) p.env.push_back("HOME=" + p.user.home);
  p.argv = argv;
  p.path = lookup_command(argv[0], env_get(p.env, "PATH"));
  return p;
}

namespace {

void apply_security(const PreparedProcess& p, const ProcessSecurity& security) {
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which is about to go: load it
  // first (the profile allows what follows). With no_new_privs it goes last, as runc does.
  if (security.seccomp && !security.no_new_privileges) load_seccomp_program(security.seccomp_program);
  drop_bounding_set(security.caps);
  if (::setgroups(p.user.groups.size(), p.user.groups.data()) != 0) throw_errno("setgroups");
  if (::setresgid(p.user.gid, p.user.gid, p.user.gid) != 0) throw_errno("setresgid", std::to_string(p.user.gid));
  // A non-zero uid clears permitted and effective capabilities (no PR_SET_KEEPCAPS), as Docker.
  if (::setresuid(p.user.uid, p.user.uid, p.user.uid) != 0) throw_errno("setresuid", std::to_string(p.user.uid));
  if (p.user.uid == 0) apply_capabilities(security.caps);
  if (security.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw_errno("prctl(PR_SET_NO_NEW_PRIVS)");
  if (security.seccomp && security.no_new_privileges) load_seccomp_program(security.seccomp_program);
}

// glibc keeps signals 32 and 33 for itself: signal() refuses them and posix_spawn() sets them to
// SIG_IGN in its child (the monitor got them so from the CLI). Ignored signals survive execve, so
// reset them with the raw system call; nothing in this process uses them.
void reset_libc_signals() {
  struct {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    unsigned long mask;
  } dfl{SIG_DFL, 0, nullptr, 0};
  for (int sig : {32, 33}) ::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof dfl.mask);
}

// The command starts as a fresh process would: umask 022, default dispositions (the monitor ignores
// SIGPIPE, and ignored signals survive execve: `yes | head` would never end), nothing blocked,
// and no descriptor beyond its stdio (sealed_exec.hpp).
void reset_process_state() {
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  reset_libc_signals();
  ::umask(022);  // runc's default, whatever the caller of berth had
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  monitor::cloexec_fds_from(3);
}

[[noreturn]] void throw_exec_error(const PreparedProcess& p, int err) {
  throw UserError("exec: \"" + p.argv[0] + "\": " + std::strerror(err), err == ENOENT ? 127 : 126);
}

}  // namespace

void exec_process(const PreparedProcess& p, const ProcessSecurity& security) {
  apply_security(p, security);
  auto envp = c_strings(p.env);
  auto argvp = c_strings(p.argv);
  reset_process_state();
  ::execve(p.path.c_str(), argvp.data(), envp.data());
  throw_exec_error(p, errno);
}

namespace {

struct SpawnChild {
  const char* path;
  char** argv;
  char** envp;
  int err;  // set by the child when execve fails (shared memory: CLONE_VM)
};

// The command's side of spawn_and_reap until execve (vfork-style: async-signal-safe calls only).
// Not posix_spawn(): glibc's sets signals 32 and 33 to SIG_IGN in every child it makes.
int exec_command(void* arg) {
  auto* c = static_cast<SpawnChild*>(arg);
  reset_process_state();
  ::execve(c->path, c->argv, c->envp);
  c->err = errno;
  ::_exit(127);
}

}  // namespace

void spawn_and_reap(const PreparedProcess& p, const ProcessSecurity& security, int started_fd) {
  apply_security(p, security);
  auto envp = c_strings(p.env);
  auto argvp = c_strings(p.argv);
  sigset_t all;
  ::sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, nullptr);  // received through sigwaitinfo by the reaper loop
  monitor::cloexec_fds_from(3);             // started_fd is close-on-exec already: the reaper keeps it
  SpawnChild child{p.path.c_str(), argvp.data(), envp.data(), 0};
  std::vector<char> stack(64 * 1024);
  long pid = ::clone(exec_command, stack.data() + stack.size(), CLONE_VM | CLONE_VFORK | SIGCHLD, &child);
  int err = pid < 0 ? errno : child.err;
  if (err != 0) {
    if (pid > 0) reap_until_exit(static_cast<pid_t>(pid));
    ::sigprocmask(SIG_UNBLOCK, &all, nullptr);
    throw_exec_error(p, err);
  }
  ::close(started_fd);  // the command runs: its exec closed the child's copy, this is the last
  ::malloc_trim(0);     // this process now only waits: give back what the set-up used
  ::_exit(reap_until_exit(static_cast<pid_t>(pid)));
}

}  // namespace berth::engine
