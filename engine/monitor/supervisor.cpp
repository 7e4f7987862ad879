#include "engine/monitor/event_log.hpp"
#include "engine/monitor/supervisor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "engine/monitor/attach_server.hpp"
#include "engine/monitor/health.hpp"
#include "engine/monitor/json_log.hpp"
#include "engine/monitor/kv_text.hpp"
#include "engine/monitor/launch.hpp"
#include "engine/monitor/monitor_config.hpp"
#include "engine/monitor/sealed_exec.hpp"
#include "engine/monitor/status_file.hpp"
#include "engine/monitor/time_format.hpp"

namespace berth::monitor {
namespace {

constexpr std::int64_t kMinBackoffMs = 100;
constexpr std::int64_t kMaxBackoffMs = 60000;
constexpr std::int64_t kResetBackoffAfterMs = 10000;  // a run this long resets the back-off (Docker)

std::string now_text() {
  char buf[kTimeBufSize];
  format_now(buf);
  return buf;
}

long long read_oom_kills(const std::string& path) {
  std::string text;
  if (path.empty() || !read_small_file(path.c_str(), text)) return 0;
  auto pos = text.find("oom_kill ");
  if (pos == std::string::npos) return 0;
  return std::atoll(text.c_str() + pos + 9);
}

class Monitor {
 public:
  Monitor(Config cfg, int ctl) : cfg_(std::move(cfg)), ctl_(ctl) {}
  int run();

 private:
  bool start_once();
  void supervise();
  void drain_output(std::int64_t deadline);
  void handle_signals();
  void on_stream(int& fd, const char* name, LineSplitter& split);
  void save() { write_status(cfg_.state_path.c_str(), st_); }
  bool should_restart() const;
  bool backoff_wait(std::int64_t ms);
  void reply_ctl(const std::string& msg) {
    if (ctl_ >= 0) ::send(ctl_, msg.data(), msg.size(), MSG_NOSIGNAL);
  }

  Config cfg_;
  int ctl_;
  int sigfd_ = -1;
  Status st_;
  JsonLogWriter log_;
  LineSplitter out_split_, err_split_;
  Launched cur_;
  bool exited_ = false;
  int exit_status_ = 0;
  bool stop_requested_ = false;
  HealthChecker health_;
  AttachServer attach_;  // listening when the container has a tty or an open stdin
};

// One start: clone + Ready, then (first time) the runtime's go-ahead, then Start.
bool Monitor::start_once() {
  std::string error;
  int status = 0;
  if (!launch_init(cfg_, cur_, error, &status)) {
    st_.error = error;
    st_.exit_code = status ? (WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status)) : 125;
    reply_ctl("error " + error);
    return false;
  }
  if (ctl_ >= 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "ready %d", static_cast<int>(cur_.pid));
    reply_ctl(buf);
    char go[64];
    ssize_t n = ::recv(ctl_, go, sizeof go - 1, 0);
    if (n <= 0 || std::strncmp(go, "start", 5) != 0) {  // the pre-start hook failed, or the CLI died
      ::kill(cur_.pid, SIGKILL);
      ::waitpid(cur_.pid, nullptr, 0);
      close_launched(cur_);
      st_.error = make_error(0, 125, "start aborted before the command ran");
      st_.exit_code = 125;
      reply_ctl("error " + st_.error);
      return false;
    }
  }
  if (!start_init(cur_, error, &status)) {
    st_.error = error;
    st_.exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    reply_ctl("error " + error);
    return false;
  }
  // Input from an attached terminal must never block the monitor (attach_server.cpp).
  if (int in = cfg_.tty ? cur_.out_fd : cur_.stdin_fd; in >= 0) ::fcntl(in, F_SETFL, ::fcntl(in, F_GETFL) | O_NONBLOCK);
  st_.status = "running";
  st_.pid = cur_.pid;
  st_.started_at = now_text();
  st_.finished_at.clear();
  st_.exit_code = 0;
  st_.oom_killed = false;
  st_.error.clear();
  if (health_.enabled(cfg_)) health_.reset(cfg_, st_, now_ms());
  save();
  append_event(cfg_.events_path, "start", cfg_.id, cfg_.event_attributes);
  reply_ctl("running");
  if (ctl_ >= 0) ::close(ctl_);
  ctl_ = -1;
  return true;
}

void Monitor::on_stream(int& fd, const char* name, LineSplitter& split) {
  char buf[16384];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {  // EOF, or EIO from a pty master whose slaves all closed
    split.flush([&](const char* line, std::size_t len) {
      char t[kTimeBufSize];
      format_now(t);
      log_.write(name, line, len, t);
    });
    ::close(fd);
    fd = -1;
    return;
  }
  char t[kTimeBufSize];
  format_now(t);
  split.feed(buf, static_cast<std::size_t>(n), [&](const char* line, std::size_t len) { log_.write(name, line, len, t); });
  attach_.output(std::strcmp(name, "stderr") == 0 ? 'E' : 'o', buf, static_cast<std::size_t>(n));
}

void Monitor::handle_signals() {
  struct signalfd_siginfo si;
  while (::read(sigfd_, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGCHLD) {
      int status;
      pid_t p;
      while ((p = ::waitpid(-1, &status, WNOHANG)) > 0) {
        if (p == cur_.pid) {
          exited_ = true;
          exit_status_ = status;
        } else if (health_.owns(p) && health_.on_exit(cfg_, status, st_, now_ms())) {
          save();
        }
      }
    } else {  // SIGUSR1 / SIGTERM / SIGINT / SIGHUP: an explicit stop, never undone by the policy
      if (!stop_requested_) {
        stop_requested_ = true;
        st_.stop_requested = true;
        save();
      }
    }
  }
}

void Monitor::supervise() {
  exited_ = false;
  while (!exited_) {
    struct pollfd fds[6];
    int n = 0;
    fds[n++] = {sigfd_, POLLIN, 0};
    int out_i = -1, err_i = -1, health_i = -1, listen_i = -1, client_i = -1;
    if (cur_.out_fd >= 0) out_i = n, fds[n++] = {cur_.out_fd, POLLIN, 0};
    if (cur_.err_fd >= 0) err_i = n, fds[n++] = {cur_.err_fd, POLLIN, 0};
    if (health_.output_fd() >= 0) health_i = n, fds[n++] = {health_.output_fd(), POLLIN, 0};
    if (attach_.listen_fd() >= 0) listen_i = n, fds[n++] = {attach_.listen_fd(), POLLIN, 0};
    if (attach_.client_fd() >= 0) client_i = n, fds[n++] = {attach_.client_fd(), POLLIN, 0};
    int timeout = health_.enabled(cfg_) ? health_.timeout_ms(now_ms()) : -1;
    int r = ::poll(fds, static_cast<nfds_t>(n), timeout);
    if (r < 0 && errno != EINTR) break;
    if (out_i >= 0 && fds[out_i].revents) on_stream(cur_.out_fd, "stdout", out_split_);
    if (err_i >= 0 && fds[err_i].revents) on_stream(cur_.err_fd, "stderr", err_split_);
    if (health_i >= 0 && fds[health_i].revents) health_.on_output();
    if (listen_i >= 0 && fds[listen_i].revents) attach_.on_accept();
    if (client_i >= 0 && fds[client_i].revents) {
      if (cfg_.tty) {
        int master = cur_.out_fd;  // input and window sizes both go to the pty master
        attach_.on_client(master, master);
      } else {
        attach_.on_client(cur_.stdin_fd, -1);
      }
    }
    if (fds[0].revents) handle_signals();
    if (health_.enabled(cfg_) && !exited_) health_.tick(cfg_, cur_.pid, st_, now_ms());
  }
  health_.stop();
  // Everything in the PID namespace died with its init; what they wrote is still in the pipes.
  drain_output(now_ms() + 2000);
  attach_.close_client();  // the attached terminal sees the end, and then asks for the exit code
}

void Monitor::drain_output(std::int64_t deadline) {
  while ((cur_.out_fd >= 0 || cur_.err_fd >= 0) && now_ms() < deadline) {
    struct pollfd fds[2];
    int n = 0, out_i = -1, err_i = -1;
    if (cur_.out_fd >= 0) out_i = n, fds[n++] = {cur_.out_fd, POLLIN, 0};
    if (cur_.err_fd >= 0) err_i = n, fds[n++] = {cur_.err_fd, POLLIN, 0};
    if (::poll(fds, static_cast<nfds_t>(n), 100) <= 0) continue;
    if (out_i >= 0 && fds[out_i].revents) on_stream(cur_.out_fd, "stdout", out_split_);
    if (err_i >= 0 && fds[err_i].revents) on_stream(cur_.err_fd, "stderr", err_split_);
  }
  close_launched(cur_);
}

bool Monitor::should_restart() const {
  if (stop_requested_) return false;
  if (cfg_.restart == "always" || cfg_.restart == "unless-stopped") return true;
  if (cfg_.restart == "on-failure")
    return st_.exit_code != 0 && (cfg_.restart_max <= 0 || st_.restart_count < cfg_.restart_max);
  return false;
}

// Sleeps `ms` while still answering signals; false when a stop was requested meanwhile.
bool Monitor::backoff_wait(std::int64_t ms) {
  std::int64_t end = now_ms() + ms;
  while (!stop_requested_) {
    std::int64_t left = end - now_ms();
    if (left <= 0) return true;
    struct pollfd p = {sigfd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) > 0) handle_signals();
  }
  return false;
}

int Monitor::run() {
  int lock = ::open(cfg_.lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || ::flock(lock, LOCK_EX | LOCK_NB) != 0) {
    reply_ctl("error " + make_error(errno, 125, "container is already monitored (" + cfg_.lock_path + ")"));
    return 1;
  }
  sigset_t set;
  ::sigemptyset(&set);
  for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1}) ::sigaddset(&set, s);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  sigfd_ = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (!log_.open(cfg_.log_path.c_str(), cfg_.log_max_size, cfg_.log_max_file)) {
    reply_ctl("error " + make_error(errno, 125, "open log " + cfg_.log_path + ": " + std::strerror(errno)));
    return 1;
  }
  if (cfg_.tty || cfg_.stdin_open) {
    std::string dir = cfg_.state_path.substr(0, cfg_.state_path.rfind('/'));
    if (!attach_.listen(dir)) {
      reply_ctl("error " + make_error(errno, 125, "attach socket in " + dir + ": " + std::strerror(errno)));
      return 1;
    }
  }
  // Keep what the last run recorded (restart count, last health) until this one starts.
  std::string old;
  if (read_small_file(cfg_.state_path.c_str(), old)) st_ = parse_status(old);
  st_.monitor_pid = ::getpid();
  st_.stop_requested = false;
  st_.restart_count = 0;

  std::int64_t backoff = kMinBackoffMs;
  bool first = true;
  for (;;) {
    long long oom_before = read_oom_kills(cfg_.oom_file);
    std::int64_t began = now_ms();
    bool started = start_once();
    if (first && !started) {
      st_.status = "created";  // as Docker: a failed start leaves the container created
      st_.pid = 0;
      save();
      return 1;
    }
    first = false;
    if (started) {
      supervise();
      st_.exit_code = WIFSIGNALED(exit_status_) ? 128 + WTERMSIG(exit_status_) : WEXITSTATUS(exit_status_);
    }
    st_.finished_at = now_text();
    st_.oom_killed = read_oom_kills(cfg_.oom_file) > oom_before;
    st_.pid = 0;
    st_.status = "exited";
    save();
    if (started)
      append_event(cfg_.events_path, "die", cfg_.id, cfg_.event_attributes,
                   "\"exitCode\":\"" + std::to_string(st_.exit_code) + "\"");
    if (st_.oom_killed) append_event(cfg_.events_path, "oom", cfg_.id, cfg_.event_attributes);
    handle_signals();  // a stop that raced with the exit still counts
    if (!should_restart()) break;
    if (now_ms() - began >= kResetBackoffAfterMs) backoff = kMinBackoffMs;
    st_.status = "restarting";
    save();
    if (!backoff_wait(backoff)) {
      st_.status = "exited";
      save();
      break;
    }
    backoff = backoff * 2 > kMaxBackoffMs ? kMaxBackoffMs : backoff * 2;
    ++st_.restart_count;
  }
  log_.close();
  return 0;
}

}  // namespace

int run_monitor(int ctl_fd) {
  std::string text;
  bool eof = false;
  // Only the control socket is meant for the monitor: whatever else the caller of berth had open
  // must not live on here, nor reach the init it clones (sealed_exec.hpp).
  close_fds_from(ctl_fd + 1);
  if (!recv_msg(ctl_fd, text, eof) || eof) return 0;
  ::fcntl(ctl_fd, F_SETFD, FD_CLOEXEC);
  int devnull = ::open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    for (int i = 0; i < 3; ++i) ::dup2(devnull, i);
    if (devnull > 2) ::close(devnull);
  }
  if (::chdir("/") != 0) return 1;
  ::prctl(PR_SET_NAME, "berth-monitor", 0, 0, 0);
  Monitor m(parse_config(text), ctl_fd);
  return m.run();
}

}  // namespace berth::monitor
