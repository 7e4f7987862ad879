#include "engine/monitor/event_log.hpp"
#include "engine/monitor/health.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

#include "engine/monitor/sealed_exec.hpp"

namespace berth::monitor {

std::int64_t now_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void HealthChecker::reset(const Config& c, Status& st, std::int64_t now) {
  stop();
  started_ = now;
  st.health = "starting";
  st.health_failing_streak = 0;
  // The first probe comes promptly (compose's depends_on: service_healthy waits on it), then the
  // start interval during the start period and the interval after it.
  long first = c.health_start_period_ms > 0 ? c.health_start_interval_ms : c.health_interval_ms;
  next_ = now + (first < 500 ? first : 500);
}

int HealthChecker::timeout_ms(std::int64_t now) const {
  std::int64_t at = probe_pid_ > 0 ? deadline_ : next_;
  if (at < 0) return -1;
  return at <= now ? 0 : static_cast<int>(at - now);
}

bool HealthChecker::tick(const Config& c, pid_t container_pid, Status& /*st*/, std::int64_t now) {
  if (probe_pid_ > 0) {
    if (now >= deadline_ && !timed_out_) {
      timed_out_ = true;
      ::kill(probe_pid_, SIGKILL);
    }
    return false;
  }
  if (next_ < 0 || now < next_ || container_pid <= 0) return false;
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return false;
  char pid_arg[32];
  std::snprintf(pid_arg, sizeof pid_arg, "%d", static_cast<int>(container_pid));
  std::string req = "@" + c.health_request_path;
  pid_t pid = ::fork();
  if (pid == 0) {
    sigset_t all;
    ::sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(p[1], 1);
    ::dup2(p[1], 2);
    close_fds_from(3);
    char a0[] = "berth", a1[] = "__init", a2[] = "exec";
    char* argv[] = {a0, a1, a2, pid_arg, req.data(), nullptr};
    char env0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char* envp[] = {env0, nullptr};
    // The probe enters the container: run it from a read-only mount (sealed_exec.hpp).
    if (::unshare(CLONE_NEWNS) == 0) exec_sealed(c.berth_exe.c_str(), argv, envp);
    static const char msg[] = "berth: cannot start the health probe from a read-only mount\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(126);
  }
  ::close(p[1]);
  if (pid < 0) {
    ::close(p[0]);
    return false;
  }
  probe_pid_ = pid;
  out_fd_ = p[0];
  ::fcntl(out_fd_, F_SETFL, O_NONBLOCK);
  output_.clear();
  timed_out_ = false;
  deadline_ = now + c.health_timeout_ms;
  return false;
}

void HealthChecker::on_output() {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n > 0) {
      if (output_.size() < 4096) output_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) {
      ::close(out_fd_);
      out_fd_ = -1;
    }
    return;
  }
}

bool HealthChecker::on_exit(const Config& c, int wait_status, Status& st, std::int64_t now) {
  if (out_fd_ >= 0) {
    on_output();
    if (out_fd_ >= 0) ::close(out_fd_);
    out_fd_ = -1;
  }
  probe_pid_ = 0;
  bool ok = !timed_out_ && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
  if (output_.size() > 4096) output_.resize(4096);
  st.health_output = timed_out_ ? "Health check exceeded timeout" : output_;
  bool in_start_period = now < started_ + c.health_start_period_ms;
  std::string before = st.health;
  if (ok) {
    st.health = "healthy";
    st.health_failing_streak = 0;
  } else if (!in_start_period || st.health == "healthy") {
    ++st.health_failing_streak;
    if (st.health_failing_streak >= (c.health_retries > 0 ? c.health_retries : 1)) st.health = "unhealthy";
  }
  if (st.health != before) append_event(c.events_path, "health_status: " + st.health, c.id, c.event_attributes);
  bool starting = in_start_period && st.health != "healthy";
  next_ = now + (starting ? c.health_start_interval_ms : c.health_interval_ms);
  return true;
}

void HealthChecker::stop() {
  if (probe_pid_ > 0) {
    ::kill(probe_pid_, SIGKILL);
    ::waitpid(probe_pid_, nullptr, 0);
  }
  probe_pid_ = 0;
  if (out_fd_ >= 0) ::close(out_fd_);
  out_fd_ = -1;
  next_ = -1;
}

}  // namespace berth::monitor
