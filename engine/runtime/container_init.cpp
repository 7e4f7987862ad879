// "berth __init": the container's first process, exec'd by the monitor right after clone() in
// fresh mount/UTS/IPC/PID namespaces. Single-threaded; runs the flat checklist of DESIGN.md and
// reports every failure over the init socket (fd 3) before exiting (ANCHORS 3.5).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/unique_fd.hpp"
#include "engine/monitor/sealed_exec.hpp"
#include "engine/runtime/init_protocol.hpp"
#include "engine/runtime/init_spec.hpp"
#include "engine/runtime/process_setup.hpp"
#include "engine/runtime/rlimits.hpp"
#include "engine/runtime/rootfs.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::engine {

int exec_helper_main(int argc, char** argv);  // exec_helper.cpp

namespace {

void write_text(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", path);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) throw_errno("write", path);
}

void join_cgroups(const std::vector<std::string>& procs) {
  for (const auto& f : procs) write_text(f, "0");
  if (::unshare(CLONE_NEWCGROUP) != 0) throw_errno("unshare", "cgroup namespace");
}

void join_netns(const std::string& path) {
  if (path.empty()) return;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", path);
  if (::setns(fd.get(), CLONE_NEWNET) != 0) throw_errno("setns", path);
}

void set_sysctls(const std::map<std::string, std::string>& sysctls) {
  for (const auto& [key, value] : sysctls) {
    std::string path = "/proc/sys/" + key;
    for (std::size_t i = 10; i < path.size(); ++i)
      if (path[i] == '.') path[i] = '/';
    with_context("sysctl " + key, [&] { write_text(path, value); });
  }
}

void set_names(const InitSpec& s) {
  if (!s.hostname.empty() && ::sethostname(s.hostname.data(), s.hostname.size()) != 0) throw_errno("sethostname", s.hostname);
  if (!s.domainname.empty() && ::setdomainname(s.domainname.data(), s.domainname.size()) != 0)
    throw_errno("setdomainname", s.domainname);
}

int run_init(int sock) {
  monitor::close_fds_from(sock + 1);   // the monitor hands on stdio and the socket, nothing else
  ::fcntl(sock, F_SETFD, FD_CLOEXEC);  // its closing at execve tells the monitor the exec worked
  // Until the command's execve (which makes it dumpable again), nothing in the container may
  // open this process's /proc files: its exe is berth's binary (sealed_exec.hpp).
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ::prctl(PR_SET_NAME, "berth:[init]", 0, 0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);  // a dead monitor must not leave a half-made init
  auto msg = recv_datagram(sock);
  if (!msg) return 1;
  InitSpec spec = parse_init_spec(*msg);

  join_cgroups(spec.cgroup_procs);
  join_netns(spec.netns_path);
  std::string console;
  if (spec.tty) {
    char name[256];
    if (::ttyname_r(0, name, sizeof name) != 0) throw_errno("ttyname", "stdin");
    console = name;
  }
  prepare_rootfs(spec, console);
  set_sysctls(spec.sysctls);
  apply_masked_paths(spec);
  set_names(spec);
  apply_rlimits(spec.rlimits);
  if (spec.security.oom_score_adj) write_text("/proc/self/oom_score_adj", std::to_string(*spec.security.oom_score_adj));
  finish_rootfs(spec);
  if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) throw_errno("chdir", spec.cwd);
  PreparedProcess proc = prepare_process(spec.argv, spec.env, spec.security.user, spec.security.group_add);
  if (::setsid() < 0) throw_errno("setsid");
  if (spec.tty && ::ioctl(0, TIOCSCTTY, 0) != 0) throw_errno("ioctl(TIOCSCTTY)");

  send_datagram(sock, kReadyMessage);
  auto start = recv_datagram(sock);
  if (!start) return 1;  // the monitor gave up (pre-start hook failed)
  ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (spec.init) spawn_and_reap(proc, spec.security, sock);
  exec_process(proc, spec.security);
}

}  // namespace

int init_main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[2], "exec") == 0) return exec_helper_main(argc, argv);
  int sock = kInitSocketFd;
  try {
    return run_init(sock);
  } catch (const std::exception& e) {
    InitError err;
    err.message = describe(e);
    if (auto* u = find_nested<UserError>(e)) err.exit_code = u->exit_code();
    if (auto* s = find_nested<SysError>(e)) err.err = s->code().value();
    try {
      send_datagram(sock, serialize_init_error(err));
    } catch (...) {
    }
    ::_exit(err.exit_code);
  }
}

}  // namespace berth::engine
