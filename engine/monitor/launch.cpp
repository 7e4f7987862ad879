#include "engine/monitor/launch.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/monitor/json_log.hpp"
#include "engine/monitor/kv_text.hpp"
#include "engine/monitor/ns_join.hpp"
#include "engine/monitor/sealed_exec.hpp"

namespace berth::monitor {
namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

bool recv_msg(int fd, std::string& out, bool& eof) {
  eof = false;
  for (;;) {
    ssize_t n = ::recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) {
      eof = true;
      return true;
    }
    out.assign(static_cast<std::size_t>(n), '\0');
    ssize_t r = ::recv(fd, out.data(), out.size(), 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    out.resize(static_cast<std::size_t>(r));
    return true;
  }
}

namespace {

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

int exit_code_of(int status) { return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status); }

// The init died without an error message (killed, crashed): say how.
std::string died_error(int status) {
  char buf[128];
  if (WIFSIGNALED(status))
    std::snprintf(buf, sizeof buf, "container init killed by signal %d", WTERMSIG(status));
  else
    std::snprintf(buf, sizeof buf, "container init exited with status %d", WEXITSTATUS(status));
  return make_error(0, exit_code_of(status) ? exit_code_of(status) : 1, buf);
}

bool open_stdio(const Config& cfg, int child_fds[3], Launched& out, std::string& error) {
  if (cfg.tty) {
    int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
      error = make_error(errno, 125, std::string("allocate pty: ") + std::strerror(errno));
      if (master >= 0) ::close(master);
      return false;
    }
    char name[128];
    if (::ptsname_r(master, name, sizeof name) != 0) {
      error = make_error(errno, 125, "ptsname failed");
      ::close(master);
      return false;
    }
    int slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
      error = make_error(errno, 125, std::string("open ") + name + ": " + std::strerror(errno));
      ::close(master);
      return false;
    }
    out.out_fd = master;
    child_fds[0] = slave;
    child_fds[1] = ::fcntl(slave, F_DUPFD_CLOEXEC, 0);
    child_fds[2] = ::fcntl(slave, F_DUPFD_CLOEXEC, 0);
    return true;
  }
  int o[2], e[2];
  if (::pipe2(o, O_CLOEXEC) != 0) return error = make_error(errno, 125, "pipe failed"), false;
  if (::pipe2(e, O_CLOEXEC) != 0) {
    ::close(o[0]);
    ::close(o[1]);
    return error = make_error(errno, 125, "pipe failed"), false;
  }
  out.out_fd = o[0];
  out.err_fd = e[0];
  child_fds[1] = o[1];
  child_fds[2] = e[1];
  if (cfg.stdin_open) {
    int i[2];
    if (::pipe2(i, O_CLOEXEC) != 0) return error = make_error(errno, 125, "pipe failed"), false;
    child_fds[0] = i[0];
    out.stdin_fd = i[1];  // kept open and silent so the command does not see EOF
  } else {
    child_fds[0] = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  return true;
}

// The init's side of launch_init until execve. It shares this process's memory (CLONE_VM) while
// the monitor waits: no allocation, only async-signal-safe calls.
struct InitChild {
  const char* exe;
  int fds[3];
  int sock;
  const char* overlay_env;  // "BERTH_OVERLAY_MOUNT=..." passed on to the init, or nullptr
};

int exec_init(void* arg) {
  auto* c = static_cast<InitChild*>(arg);
  sigset_t all;
  ::sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  // Move the socket out of the way of 0-2 first, then place everything.
  // CLOEXEC: only fd 3 may reach the init, or the exec-success EOF never comes.
  int s = ::fcntl(c->sock, F_DUPFD_CLOEXEC, 10);
  for (int i = 0; i < 3; ++i) ::dup2(c->fds[i], i);
  ::dup2(s, 3);
  close_fds_from(4);  // the init gets its stdio and the init socket, nothing else
  char arg0[] = "berth-init", arg1[] = "__init";
  char* argv[] = {arg0, arg1, nullptr};
  char env0[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  // The overlay mount path override (engine/image/overlay_mount.hpp) is the one setting of the
  // caller's environment the init honours: tests force the old kernels' mount(2) path with it.
  char* envp[] = {env0, const_cast<char*>(c->overlay_env), nullptr};
  exec_sealed(c->exe, argv, envp);  // clone() gave this child its own mount namespace
  int err = errno;
  char path[256];  // JSON-escaped (quotes and backslashes; the path has no control characters)
  std::size_t k = 0;
  for (const char* p = c->exe; *p && k + 2 < sizeof path; ++p) {
    if (*p == '"' || *p == '\\') path[k++] = '\\';
    path[k++] = *p;
  }
  path[k] = '\0';
  char msg[512];
  int n = std::snprintf(msg, sizeof msg, "{\"type\":\"error\",\"errno\":%d,\"exit_code\":125,\"message\":\"exec %s: %s\"}",
                        err, path, ::strerrordesc_np(err));
  if (n > 0 && static_cast<std::size_t>(n) < sizeof msg) ::send(3, msg, static_cast<std::size_t>(n), MSG_NOSIGNAL);
  ::_exit(125);
}

}  // namespace

std::string make_error(int err, int exit_code, const std::string& message) {
  std::string out = "{\"type\":\"error\",\"errno\":";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%d,\"exit_code\":%d,\"message\":\"", err, exit_code);
  out += buf;
  json_escape_append(out, message.data(), message.size());
  out += "\"}";
  return out;
}

void close_launched(Launched& l) {
  close_fd(l.sock);
  close_fd(l.out_fd);
  close_fd(l.err_fd);
  close_fd(l.stdin_fd);
}

bool launch_init(const Config& cfg, Launched& out, std::string& error, int* status, char* stack, std::size_t stack_size) {
  out = Launched{};
  *status = 0;
  std::string spec;
  if (!read_small_file(cfg.init_spec_path.c_str(), spec)) {
    error = make_error(errno, 125, "read " + cfg.init_spec_path + ": " + std::strerror(errno));
    return false;
  }
  int sp[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0) {
    error = make_error(errno, 125, "socketpair failed");
    return false;
  }
  int child_fds[3] = {-1, -1, -1};
  if (!open_stdio(cfg, child_fds, out, error)) {
    ::close(sp[0]);
    ::close(sp[1]);
    return false;
  }
  // vfork-style (CLONE_VM | CLONE_VFORK, like posix_spawn): no page tables copied, and no
  // copy-on-write faults for this process afterwards; it waits only for the execve.
  const char* ov = std::getenv("BERTH_OVERLAY_MOUNT");
  std::string overlay_env = ov && *ov ? std::string("BERTH_OVERLAY_MOUNT=") + ov : std::string();
  InitChild child{cfg.berth_exe.c_str(), {child_fds[0], child_fds[1], child_fds[2]}, sp[1],
                  overlay_env.empty() ? nullptr : overlay_env.c_str()};
  alignas(16) static char child_stack[32 * 1024];
  int flags = CLONE_VM | CLONE_VFORK | CLONE_NEWNS | SIGCHLD;
  NamespaceJoin joined;
  if (!joined.enter(cfg, flags, error)) {
    ::close(sp[0]);
    ::close(sp[1]);
    for (int fd : child_fds)
      if (fd >= 0) ::close(fd);
    close_launched(out);
    return false;
  }
  char* top = stack ? stack + (stack_size & ~std::size_t{15}) : child_stack + sizeof child_stack;
  long pid = ::clone(exec_init, top, flags, &child);
  int clone_errno = errno;
  joined.leave();
  ::close(sp[1]);
  for (int fd : child_fds)
    if (fd >= 0) ::close(fd);
  if (pid < 0) {
    ::close(sp[0]);
    close_launched(out);
    error = make_error(clone_errno, 125, std::string("clone: ") + std::strerror(clone_errno));
    return false;
  }
  out.pid = static_cast<pid_t>(pid);
  out.sock = sp[0];
  struct timeval tv {60, 0};  // an init that hangs must not hang the monitor (and the CLI) forever
  ::setsockopt(out.sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string reply;
  bool eof = false;
  // A child whose exec failed is gone by now (vfork): the spec cannot be sent, but its error
  // message is still waiting in the socket.
  bool sent = ::send(out.sock, spec.data(), spec.size(), MSG_NOSIGNAL) >= 0;
  bool received = recv_msg(out.sock, reply, eof);
  if (!sent || !received || eof || reply.find("\"type\":\"ready\"") == std::string::npos) {
    if (!eof && reply.empty()) ::kill(out.pid, SIGKILL);
    *status = reap(out.pid);
    error = !reply.empty() && reply.find("\"type\":\"error\"") != std::string::npos ? reply : died_error(*status);
    close_launched(out);
    out.pid = -1;
    return false;
  }
  return true;
}

bool start_init(Launched& l, std::string& error, int* status) {
  static const char start[] = "{\"type\":\"start\"}";
  std::string reply;
  bool eof = false;
  if (::send(l.sock, start, sizeof start - 1, MSG_NOSIGNAL) < 0 || !recv_msg(l.sock, reply, eof) || !eof) {
    if (reply.empty()) ::kill(l.pid, SIGKILL);
    *status = reap(l.pid);
    error = !reply.empty() ? reply : died_error(*status);
    close_launched(l);
    l.pid = -1;
    return false;
  }
  close_fd(l.sock);
  return true;
}

}  // namespace berth::monitor
