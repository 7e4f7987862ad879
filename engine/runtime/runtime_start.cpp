// Runtime::start / stop / kill / restart / wait: spawning the monitor and the handshake with it
// (engine/monitor/supervisor.cpp is the other side):
//   monitor -> runtime  "ready <pid>"   the init is prepared (rootfs, namespaces, user)
//   runtime -> monitor  "start"         after the pre-start hooks (network attach)
//   monitor -> runtime  "running" | "error <init error JSON>"
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/file_lock.hpp"
#include "base/log.hpp"
#include "base/unique_fd.hpp"
#include "engine/monitor/event_log.hpp"
#include "engine/monitor/monitor_config.hpp"
#include "base/daemon_cgroup.hpp"
#include "engine/runtime/cgroup.hpp"
#include "engine/runtime/init_protocol.hpp"
#include "engine/runtime/init_spec_builder.hpp"
#include "engine/runtime/runtime.hpp"
#include "engine/runtime/runtime_internal.hpp"
#include "engine/runtime/signal_disposition.hpp"
#include "engine/runtime/spec_json.hpp"

extern char** environ;

namespace berth::engine {

using namespace detail;

namespace {

std::string recv_ctl(int fd, const std::string& what) {
  auto msg = recv_datagram(fd);
  if (!msg) throw UserError("container monitor exited during " + what + " (see its state for details)", 125);
  return *msg;
}

[[noreturn]] void throw_start_error(const std::string& msg) {
  std::string payload = msg.size() > 6 ? msg.substr(6) : msg;
  if (auto e = parse_init_error(payload)) {
    int code = e->exit_code == 126 || e->exit_code == 127 ? e->exit_code : 125;
    throw UserError(e->message, code);
  }
  throw UserError("container start failed: " + msg, 125);
}

monitor::Config monitor_config(const StatePaths& paths, const ContainerInfo& info, const ContainerFiles& f, const Cgroup& cg,
                               const fs::path& berth_exe, bool has_health) {
  monitor::Config c;
  c.id = info.id;
  c.state_path = f.state().string();
  c.lock_path = f.monitor_lock().string();
  c.log_path = info.log_path.string();
  c.log_max_size = info.spec.log.max_size;
  c.log_max_file = info.spec.log.max_file;
  c.berth_exe = berth_exe.string();
  c.init_spec_path = f.init_spec().string();
  c.tty = info.spec.tty;
  c.stdin_open = info.spec.stdin_open;
  switch (info.spec.restart.kind) {
    case RestartPolicy::Kind::No: c.restart = "no"; break;
    case RestartPolicy::Kind::Always: c.restart = "always"; break;
    case RestartPolicy::Kind::OnFailure: c.restart = "on-failure"; break;
    case RestartPolicy::Kind::UnlessStopped: c.restart = "unless-stopped"; break;
  }
  c.restart_max = info.spec.restart.max_retries;
  c.oom_file = cg.oom_file();
  c.events_path = events_path(paths).string();
  c.event_attributes = event_attributes(info.name, info.spec.image, info.labels);
  if (has_health) {
    const auto& h = info.spec.healthcheck;
    c.health_request_path = f.health_request().string();
    c.health_interval_ms = static_cast<long>(h.interval.count());
    c.health_timeout_ms = static_cast<long>(h.timeout.count());
    c.health_start_period_ms = static_cast<long>(h.start_period.count());
    c.health_start_interval_ms = static_cast<long>(h.start_interval.count());
    c.health_retries = h.retries;
  }
  return c;
}

// The monitor, spawned before the runtime's own set-up (cgroup, init spec) so that its exec and
// detaching overlap that work: posix_spawn (vfork-based: cheap even from a big, threaded CLI)
// with the ctl socket as fd 3. The monitor detaches a child and this first process exits at
// once; it is reaped after the configuration went out, or on failure after closing the socket,
// which tells the monitor to exit having done nothing.
class SpawnedMonitor {
 public:
  explicit SpawnedMonitor(const fs::path& exe);
  ~SpawnedMonitor() {
    if (pid_ > 0) ctl_.reset();
    reap();
  }
  SpawnedMonitor(const SpawnedMonitor&) = delete;
  SpawnedMonitor& operator=(const SpawnedMonitor&) = delete;
  int ctl() const { return ctl_.get(); }
  void configure(const std::string& config) {
    send_datagram(ctl_.get(), config);
    reap();
  }

 private:
  void reap() {
    int status;
    while (pid_ > 0 && ::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  UniqueFd ctl_;
  pid_t pid_ = -1;
};

SpawnedMonitor::SpawnedMonitor(const fs::path& exe) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair");
  ctl_.reset(sv[0]);
  UniqueFd child(sv[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, child.get(), 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string a0 = exe.string();
  std::vector<std::string> procs = daemon_cgroup_procs();  // joined by the monitor before it detaches
  std::vector<char*> argv{a0.data()};
  for (auto& p : procs) argv.push_back(p.data());
  argv.push_back(nullptr);
  int rc = posix_spawn(&pid_, a0.c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    pid_ = -1;
    throw_sys(rc, "spawn", a0);
  }
  struct timeval tv {120, 0};
  ::setsockopt(ctl_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

// Sends `sig` to the process whose pid the state records, through a pidfd so a recycled pid is
// never hit: the pidfd is opened first, then the state is checked to still name that pid.
UniqueFd pidfd_for(const ContainerFiles& f, pid_t pid) {
  UniqueFd fd(open_pidfd(pid));
  if (!fd) return fd;
  if (load_status(f).pid != pid) return UniqueFd();
  return fd;
}

void signal_monitor(const ContainerFiles& f) {
  auto st = load_status(f);
  if (st.monitor_pid <= 0 || !monitor_alive(f)) return;
  UniqueFd fd(open_pidfd(st.monitor_pid));
  if (fd) ::syscall(SYS_pidfd_send_signal, fd.get(), SIGUSR1, nullptr, 0);
}

}  // namespace

void Runtime::start(const std::string& name_or_id, const StartOptions& options) {
  ContainerInfo info = inspect(name_or_id);
  ContainerFiles f = files_for(paths_, info.id);
  fs::create_directories(f.rootfs());  // the runtime directory does not survive a reboot
  FileLock op = FileLock::acquire(f.op_lock());
  info = inspect(info.id);
  if (info.running() || info.state == ContainerState::Restarting) return;
  // A monitor still finishing (it records the exit before it goes) is waited for briefly.
  if (!wait_until([&] { return !monitor_alive(f); }, std::chrono::seconds(5)))
    throw UserError("container " + info.name + " is still being monitored; try again");

  SpawnedMonitor monitor(options_.monitor_exe);
  auto cg = Cgroup::for_container(info.id);
  std::vector<DeviceRule> devices = container_device_rules(info.spec);  // checks the --device nodes
  with_context("setting up the cgroup of " + info.name, [&] { cg->create(info.spec.resources, devices); });
  if (::access(f.hosts().c_str(), F_OK) != 0) write_etc_files(f, info);  // the runtime directory was emptied (reboot)
  InitSpec init = build_init_spec(paths_, info, *cg);
  write_text(f.init_spec(), serialize_init_spec(init));
  auto health = build_health_request(info, *cg);
  if (health) write_text(f.health_request(), serialize_exec_request(*health));
  monitor.configure(
      monitor::serialize_config(monitor_config(paths_, info, f, *cg, options_.berth_exe, health.has_value())));
  int ctl = monitor.ctl();

  std::string msg = recv_ctl(ctl, "start");
  if (msg.rfind("ready ", 0) != 0) throw_start_error(msg);
  info.pid = static_cast<pid_t>(std::stol(msg.substr(6)));
  if (options.prestart) {
    try {
      info.state = ContainerState::Running;
      options.prestart(info);
    } catch (...) {
      send_datagram(ctl, "abort");
      auto ignored = recv_datagram(ctl);
      (void)ignored;
      throw;
    }
  }
  send_datagram(ctl, "start");
  msg = recv_ctl(ctl, "start");
  if (msg != "running") throw_start_error(msg);
  log::debug("started container {} (pid {})", info.name, info.pid);
}

void Runtime::kill(const std::string& name_or_id, int signal) {
  ContainerInfo info = inspect(name_or_id);
  if (!info.running() && info.state != ContainerState::Dead)
    throw UserError("cannot kill container " + info.name + ": container is not running");
  ContainerFiles f = files_for(paths_, info.id);
  UniqueFd fd = pidfd_for(f, info.pid);
  if (!fd || ::syscall(SYS_pidfd_send_signal, fd.get(), signal, nullptr, 0) != 0) {
    if (errno == ESRCH || !fd) return;  // it exited meanwhile
    throw_errno("kill", info.name);
  }
  monitor::append_event(events_path(paths_).string(), "kill", info.id,
                        event_attributes(info.name, info.spec.image, info.labels),
                        "\"signal\":\"" + std::to_string(signal) + "\"");
}

void Runtime::stop(const std::string& name_or_id, std::optional<std::chrono::seconds> grace) {
  ContainerInfo info = inspect(name_or_id);
  ContainerFiles f = files_for(paths_, info.id);
  if (!info.running() && info.state != ContainerState::Restarting && info.state != ContainerState::Dead) return;
  auto timeout = grace.value_or(info.spec.stop_grace_period);
  // First the monitor learns it is an explicit stop, so the restart policy leaves it stopped.
  signal_monitor(f);
  auto st = load_status(f);
  UniqueFd monitor_fd(open_pidfd(st.monitor_pid));
  if (info.state == ContainerState::Paused) Cgroup::for_container(info.id)->freeze(false);
  if (info.pid > 0) {
    UniqueFd fd = pidfd_for(f, info.pid);
    if (fd) {
      int sig = parse_signal(info.spec.stop_signal);
      bool discarded = timeout.count() > 0 && init_discards_signal(info.pid, sig);
      if (discarded)
        log::debug("container {}: its PID 1 has no handler for {}, which the kernel discards for the init of a pid "
                   "namespace; killing it now instead of waiting {}s",
                   info.name, info.spec.stop_signal, timeout.count());
      else if (timeout.count() > 0)
        ::syscall(SYS_pidfd_send_signal, fd.get(), sig, nullptr, 0);
      if (timeout.count() == 0 || discarded || !wait_pidfd(fd.get(), timeout)) {
        ::syscall(SYS_pidfd_send_signal, fd.get(), SIGKILL, nullptr, 0);
        wait_pidfd(fd.get(), std::chrono::seconds(10));
      }
    }
  }
  if (info.state == ContainerState::Dead) {
    Cgroup::for_container(info.id)->destroy();  // nobody supervises those processes any more
    return;
  }
  // The monitor records the exit and goes; wait for that so the next call sees "exited".
  if (monitor_fd && !wait_pidfd(monitor_fd.get(), std::chrono::seconds(10)))
    log::warn("monitor of {} did not exit after stop", info.name);
  wait_until([&] { return !monitor_alive(f); }, std::chrono::seconds(2));
  emit_event(paths_, "stop", info);
}

void Runtime::restart(const std::string& name_or_id, std::optional<std::chrono::seconds> grace,
                      const StartOptions& options) {
  stop(name_or_id, grace);
  start(name_or_id, options);
}

int Runtime::wait(const std::string& name_or_id) {
  ContainerInfo info = inspect(name_or_id);
  ContainerFiles f = files_for(paths_, info.id);
  for (;;) {
    info = inspect(info.id);
    switch (info.state) {
      case ContainerState::Running:
      case ContainerState::Paused: {
        UniqueFd fd = pidfd_for(f, info.pid);
        if (fd) wait_pidfd(fd.get(), std::chrono::hours(24 * 365));
        // The monitor records the exit right after it reaps; wait for the record.
        wait_until([&] { return load_status(f).pid != info.pid || !monitor_alive(f); }, std::chrono::seconds(5));
        auto st = load_status(f);
        if (st.status != "running") return st.exit_code;
        break;
      }
      case ContainerState::Restarting:
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        break;
      case ContainerState::Dead:
        throw UserError("container " + info.name + ": " + info.error);
      case ContainerState::Created:
        if (!info.error.empty() || info.exit_code != 0) return info.exit_code;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        break;
      case ContainerState::Exited:
        return info.exit_code;
    }
  }
}

}  // namespace berth::engine
