// "berth __init exec <pid> <request-json | @file>": joins the namespaces and cgroup of the
// container whose PID 1 is <pid> (host pid), forks into its PID namespace and runs the request
// with the container's confinement; relays signals and exits with the process's status.
// A separate process because setns(CLONE_NEWNS) needs a single-threaded caller.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/unique_fd.hpp"
#include "engine/monitor/sealed_exec.hpp"
#include "engine/runtime/init_spec.hpp"
#include "engine/runtime/process_setup.hpp"
#include "engine/runtime/rlimits.hpp"

namespace berth::engine {
namespace {

pid_t child_pid = 0;

void forward(int sig) {
  if (child_pid > 0) ::kill(child_pid, sig);
}

void enter_container(pid_t pid, const ExecRequest& req) {
  static const std::pair<const char*, int> kNamespaces[] = {{"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
                                                             {"net", CLONE_NEWNET}, {"pid", CLONE_NEWPID},
                                                             {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS}};
  std::vector<UniqueFd> fds;
  for (const auto& [name, flag] : kNamespaces) {
    std::string path = "/proc/" + std::to_string(pid) + "/ns/" + name;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open", path);
    fds.push_back(std::move(fd));
  }
  for (const auto& f : req.cgroup_procs) {
    UniqueFd fd(::open(f.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd || ::write(fd.get(), "0", 1) != 1) throw_errno("join cgroup", f);
  }
  for (std::size_t i = 0; i < fds.size(); ++i)
    if (::setns(fds[i].get(), kNamespaces[i].second) != 0) throw_errno("setns", kNamespaces[i].first);
}

[[noreturn]] void run_child(const ExecRequest& req) {
  try {
    if (!req.cwd.empty() && ::chdir(req.cwd.c_str()) != 0) throw_errno("chdir", req.cwd);
    PreparedProcess p = prepare_process(req.argv, req.env, req.security.user, req.security.group_add);
    if (req.tty) {
      ::setsid();
      ::ioctl(0, TIOCSCTTY, 0);
    }
    exec_process(p, req.security);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "berth: %s\n", describe(e).c_str());
    auto* u = find_nested<UserError>(e);
    ::_exit(u ? u->exit_code() : 126);
  }
}

}  // namespace

int exec_helper_main(int argc, char** argv) {
  try {
    if (argc < 5) throw UserError("usage: berth __init exec <pid> <request>");
    pid_t pid = static_cast<pid_t>(std::stol(argv[3]));
    std::string text = argv[4];
    if (!text.empty() && text[0] == '@') text = read_file(text.substr(1));
    ExecRequest req = parse_exec_request(text);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    // As the init: nothing in the container may open this process's /proc files (its exe is
    // berth's binary) until the command's execve; it keeps no descriptor but its stdio.
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    monitor::close_fds_from(3);
    apply_rlimits(req.rlimits);
    // Before entering: /proc is still the host's; the command inherits it across fork and exec.
    if (req.security.oom_score_adj) {
      UniqueFd fd(::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC));
      std::string v = std::to_string(*req.security.oom_score_adj);
      if (!fd || ::write(fd.get(), v.data(), v.size()) != static_cast<ssize_t>(v.size()))
        throw_errno("write", "/proc/self/oom_score_adj");
    }
    enter_container(pid, req);
    child_pid = ::fork();
    if (child_pid < 0) throw_errno("fork");
    if (child_pid == 0) run_child(req);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) ::signal(sig, forward);
    int status = 0;
    while (::waitpid(child_pid, &status, 0) < 0) {
      if (errno != EINTR) throw_errno("waitpid");
    }
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "berth: %s\n", describe(e).c_str());
    auto* u = find_nested<UserError>(e);
    return u ? u->exit_code() : 126;
  }
}

}  // namespace berth::engine
