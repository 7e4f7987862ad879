// Runtime::exec and Runtime::top: processes inside a running container.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/human_duration.hpp"
#include "base/unique_fd.hpp"
#include "engine/monitor/sealed_exec.hpp"
#include "engine/runtime/capabilities.hpp"
#include "engine/runtime/cgroup.hpp"
#include "engine/runtime/init_spec_builder.hpp"
#include "engine/runtime/runtime.hpp"
#include "engine/runtime/runtime_internal.hpp"

extern char** environ;

namespace berth::engine {

using namespace detail;

namespace {

// Raw mode on the caller's terminal while a tty exec runs; restored on scope exit.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (!::isatty(fd) || ::tcgetattr(fd, &saved_) != 0) return;
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(fd, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }

 private:
  int fd_;
  struct termios saved_ {};
  bool active_ = false;
};

struct HelperChild {
  const char* path;
  char** argv;
  int fds[3];
};

// The helper's side of spawn_helper until execve: shares the caller's memory (CLONE_VM), so only
// async-signal-safe calls and no allocation.
int exec_helper(void* arg) {
  auto* c = static_cast<HelperChild*>(arg);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int i = 0; i < 3; ++i)
    if (c->fds[i] >= 0 && c->fds[i] != i) ::dup2(c->fds[i], i);
  monitor::close_fds_from(3);
  monitor::exec_sealed(c->path, c->argv, environ);  // it enters the container (sealed_exec.hpp)
  const char* parts[] = {"berth: exec ", c->path, " from a read-only bind mount: ", ::strerrordesc_np(errno), "\n"};
  for (const char* p : parts) (void)!::write(2, p, std::strlen(p));
  ::_exit(126);
}

// Starts "berth __init exec" in a mount namespace of its own (for exec_sealed), the way
// posix_spawn would (vfork-style: no page tables copied).
pid_t spawn_helper(const std::vector<std::string>& args, int in, int out, int err) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  HelperChild child{args[0].c_str(), argv.data(), {in, out, err}};
  std::vector<char> stack(64 * 1024);
  long pid = ::clone(exec_helper, stack.data() + stack.size(), CLONE_VM | CLONE_VFORK | CLONE_NEWNS | SIGCHLD, &child);
  if (pid < 0) throw_errno("clone", args[0]);
  return static_cast<pid_t>(pid);
}

int wait_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid");
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

void copy_winsize(int from, int to) {
  struct winsize ws;
  if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}

// Relays the caller's stdin/stdout to the pty master until the helper exits.
int relay_tty(pid_t pid, int master, bool interactive) {
  RawTerminal raw(STDIN_FILENO);
  struct winsize last {};
  ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &last);
  bool in_open = interactive;
  char buf[16384];
  for (;;) {
    struct pollfd fds[2] = {{master, POLLIN, 0}, {STDIN_FILENO, static_cast<short>(in_open ? POLLIN : 0), 0}};
    int r = ::poll(fds, 2, 200);
    struct winsize ws;
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && (ws.ws_row != last.ws_row || ws.ws_col != last.ws_col)) {
      last = ws;
      ::ioctl(master, TIOCSWINSZ, &ws);  // window resize reaches the container's tty
    }
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) {
      int status;
      if (::waitpid(pid, &status, WNOHANG) == pid) return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
      continue;
    }
    if (fds[0].revents) {
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;  // EIO: every slave closed
      if (::write(STDOUT_FILENO, buf, static_cast<size_t>(n)) < 0) break;
    }
    if (in_open && fds[1].revents) {
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n <= 0)
        in_open = false;
      else if (::write(master, buf, static_cast<size_t>(n)) < 0)
        break;
    }
  }
  return wait_status(pid);
}

// `exec -d`: the helper (which dies with its parent) is waited for by a grandchild of this
// process in a session of its own, adopted by init once the child between has exited; stdio is
// /dev/null. Neither this process's exit nor its terminal ends the command.
int exec_detached(const std::vector<std::string>& args) {
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) throw_errno("open", "/dev/null");
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    pid_t keeper = ::fork();
    if (keeper != 0) ::_exit(keeper < 0 ? 126 : 0);
    ::setsid();
    for (int fd = 0; fd < 3; ++fd) ::dup2(devnull.get(), fd);  // it must not hold the caller's pipes open
    try {
      ::_exit(wait_status(spawn_helper(args, -1, -1, -1)));
    } catch (...) {
      ::_exit(126);
    }
  }
  return wait_status(pid);
}

std::vector<std::string> merge_env(std::vector<std::string> base, const std::vector<std::string>& extra) {
  for (const auto& e : extra) {
    std::string key = e.substr(0, e.find('='));
    std::erase_if(base, [&](const std::string& b) { return b.compare(0, key.size() + 1, key + "=") == 0; });
    base.push_back(e);
  }
  return base;
}

}  // namespace

int Runtime::exec(const std::string& name_or_id, const ExecOptions& options) {
  ContainerInfo info = inspect(name_or_id);
  if (info.state == ContainerState::Paused)
    throw UserError("container " + info.name + " is paused, unpause the container before exec");
  if (info.state != ContainerState::Running) throw UserError("container " + info.name + " is not running");
  if (options.argv.empty()) throw UserError("exec: no command given");
  auto cg = Cgroup::for_container(info.id);
  ExecRequest req;
  req.argv = options.argv;
  std::vector<std::string> env = container_env(info);
  // A terminal gets a TERM, as Docker gives one (the container's own is kept when it has one).
  if (options.tty && std::none_of(env.begin(), env.end(), [](const std::string& e) { return e.rfind("TERM=", 0) == 0; }))
    env.push_back("TERM=xterm");
  req.env = merge_env(std::move(env), options.env);
  req.cwd = !options.working_dir.empty() ? options.working_dir : info.spec.working_dir.empty() ? "/" : info.spec.working_dir;
  req.tty = options.tty;
  req.security = build_security(info.spec, options.user);
  if (options.privileged) {
    req.security.caps = all_capabilities();
    req.security.seccomp = false;
  }
  req.rlimits = build_rlimits(info.spec);
  req.security.oom_score_adj = info.spec.resources.oom_score_adj;  // as PID 1 has it
  req.cgroup_procs = cg->procs_files();
  std::vector<std::string> args = {options_.berth_exe.string(), "__init", "exec", std::to_string(info.pid),
                                   serialize_exec_request(req)};
  if (options.detach) return exec_detached(args);
  if (!options.tty) {
    int in = -1;
    UniqueFd devnull;
    if (!options.interactive) {
      devnull.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
      in = devnull.get();
    }
    return wait_status(spawn_helper(args, in, -1, -1));
  }
  UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master || ::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0) throw_errno("posix_openpt");
  char name[128];
  if (::ptsname_r(master.get(), name, sizeof name) != 0) throw_errno("ptsname");
  UniqueFd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) throw_errno("open", name);
  copy_winsize(STDOUT_FILENO, master.get());
  pid_t pid = spawn_helper(args, slave.get(), slave.get(), slave.get());
  slave.reset();
  return relay_tty(pid, master.get(), options.interactive);
}

std::vector<std::vector<std::string>> Runtime::top(const std::string& name_or_id) const {
  ContainerInfo info = inspect(name_or_id);
  if (!info.running()) throw UserError("container " + info.name + " is not running");
  std::vector<std::vector<std::string>> rows = {{"UID", "PID", "PPID", "STIME", "TIME", "CMD"}};
  long ticks = ::sysconf(_SC_CLK_TCK);
  // STIME as ps -ef prints it: the boot time (btime of /proc/stat) plus the start in ticks.
  long boot = 0;
  if (auto st = try_read_file("/proc/stat"); st)
    if (auto p = st->find("\nbtime "); p != std::string::npos) boot = std::stol(st->substr(p + 7));
  std::time_t now = std::time(nullptr);
  for (int pid : Cgroup::for_container(info.id)->pids()) {
    std::string dir = "/proc/" + std::to_string(pid);
    auto stat = try_read_file(dir + "/stat");
    auto status = try_read_file(dir + "/status");
    auto cmdline = try_read_file(dir + "/cmdline");
    if (!stat || !status) continue;
    std::string uid = "?";
    if (auto p = status->find("\nUid:"); p != std::string::npos) {
      std::istringstream in(status->substr(p + 5));
      in >> uid;
    }
    // Fields after the ")" of comm: state ppid ... utime(14) stime(15) ... starttime(22).
    std::istringstream in(stat->substr(stat->rfind(')') + 2));
    std::vector<std::string> f;
    std::string w;
    while (in >> w) f.push_back(w);
    if (f.size() < 20) continue;
    long cpu = (std::stol(f[11]) + std::stol(f[12])) / ticks;
    char tbuf[32];
    std::snprintf(tbuf, sizeof tbuf, "%02ld:%02ld:%02ld", cpu / 3600, cpu / 60 % 60, cpu % 60);
    std::string cmd = *cmdline;
    for (auto& c : cmd)
      if (c == '\0') c = ' ';
    while (!cmd.empty() && cmd.back() == ' ') cmd.pop_back();
    if (cmd.empty()) cmd = "[" + stat->substr(stat->find('(') + 1, stat->rfind(')') - stat->find('(') - 1) + "]";
    long start_s = std::stol(f[19]) / ticks;
    rows.push_back({uid, std::to_string(pid), f[1], ps_start_time(boot + start_s, now), tbuf, cmd});
  }
  return rows;
}

}  // namespace berth::engine
