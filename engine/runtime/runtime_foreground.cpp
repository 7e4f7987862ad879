// Runtime::run_foreground: a created container run with the caller as the init's parent, the
// way a build step runs its command (BuildKit's runc executor does the same). The start is
// start()'s (cgroup, init spec, the init's clone and two-step handshake) without the monitor: no
// process to spawn and detach, no log file written and followed, no state polled; the output
// comes from the pipes and the exit from waitpid. While it runs, this process holds the
// monitor lock and the state says running, so inspect, kill and `rm -f` see a running container.
#include <poll.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>

#include "base/error.hpp"
#include "base/file_lock.hpp"
#include "base/log.hpp"
#include "base/unique_fd.hpp"
#include "engine/monitor/event_log.hpp"
#include "engine/monitor/json_log.hpp"
#include "engine/monitor/launch.hpp"
#include "engine/monitor/status_file.hpp"
#include "engine/monitor/time_format.hpp"
#include "engine/runtime/cgroup.hpp"
#include "engine/runtime/device_rules.hpp"
#include "engine/runtime/init_protocol.hpp"
#include "engine/runtime/init_spec_builder.hpp"
#include "engine/runtime/runtime.hpp"
#include "engine/runtime/runtime_internal.hpp"

namespace berth::engine {

using namespace detail;

namespace {

std::string now_text() {
  char buf[monitor::kTimeBufSize];
  monitor::format_now(buf);
  return buf;
}

[[noreturn]] void throw_init_error(const std::string& datagram) {
  if (auto e = parse_init_error(datagram)) {
    int code = e->exit_code == 126 || e->exit_code == 127 ? e->exit_code : 125;
    throw UserError(e->message, code);
  }
  throw UserError("container start failed: " + datagram, 125);
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// The init's pipes and process until it is reaped (also when the caller's output sink throws).
struct Child {
  monitor::Launched l;
  ~Child() {
    monitor::close_launched(l);
    if (l.pid > 0) {
      ::kill(l.pid, SIGKILL);
      while (::waitpid(l.pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
};

}  // namespace

int Runtime::run_foreground(const std::string& name_or_id, const std::function<void(const std::string&)>& output) {
  ContainerInfo info = inspect(name_or_id);
  ContainerFiles f = files_for(paths_, info.id);
  Child child;
  UniqueFd monitor_lock;
  {
    FileLock op = FileLock::acquire(f.op_lock());
    // Held until the command ended: the container counts as supervised (monitor_alive), and no
    // monitor of a concurrent start can take it over.
    monitor_lock.reset(::open(f.monitor_lock().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!monitor_lock || ::flock(monitor_lock.get(), LOCK_EX | LOCK_NB) != 0)
      throw UserError("container " + info.name + " is already running or being started");
    auto st = load_status(f).status;
    if (st == "running" || st == "restarting") throw UserError("container " + info.name + " is already running");

    auto cg = Cgroup::for_container(info.id);
    std::vector<DeviceRule> devices = container_device_rules(info.spec);
    with_context("setting up the cgroup of " + info.name, [&] { cg->create(info.spec.resources, devices); });
    if (::access(f.hosts().c_str(), F_OK) != 0) write_etc_files(f, info);
    write_text(f.init_spec(), serialize_init_spec(build_init_spec(paths_, info, *cg)));

    monitor::Config c;
    c.init_spec_path = f.init_spec().string();
    c.berth_exe = options_.berth_exe.string();
    // Threads of this process may start steps at once: each launch has a stack of its own.
    constexpr std::size_t kStack = 64 * 1024;
    auto stack = std::make_unique<char[]>(kStack);
    std::string error;
    int status = 0;
    if (!monitor::launch_init(c, child.l, error, &status, stack.get(), kStack)) throw_init_error(error);
    if (!monitor::start_init(child.l, error, &status)) throw_init_error(error);
  }
  monitor::Status st;
  st.status = "running";
  st.pid = child.l.pid;
  st.started_at = now_text();
  monitor::write_status(f.state().c_str(), st);
  auto events = events_path(paths_).string();
  auto attrs = event_attributes(info.name, info.spec.image, info.labels);
  monitor::append_event(events, "start", info.id, attrs);
  log::debug("running container {} in the foreground (pid {})", info.name, child.l.pid);

  // Output until both pipes ended; once the init exited (everything in its PID namespace dies
  // with it) what is left in the pipes is read for at most two seconds, as the monitor does.
  monitor::LineSplitter splits[2];
  auto emit = [&](const char* line, std::size_t len) { output(std::string(line, len)); };
  UniqueFd pidfd(open_pidfd(child.l.pid));
  bool exited = !pidfd;
  std::int64_t deadline = exited ? now_ms() + 2000 : 0;
  int* fds[2] = {&child.l.out_fd, &child.l.err_fd};
  while (*fds[0] >= 0 || *fds[1] >= 0) {
    struct pollfd p[3];
    int n = 0, at[2] = {-1, -1};
    for (int i = 0; i < 2; ++i)
      if (*fds[i] >= 0) at[i] = n, p[n++] = {*fds[i], POLLIN, 0};
    int pid_at = exited ? -1 : n;
    if (!exited) p[n++] = {pidfd.get(), POLLIN, 0};
    int timeout = exited ? static_cast<int>(std::max<std::int64_t>(0, deadline - now_ms())) : -1;
    int r = ::poll(p, static_cast<nfds_t>(n), timeout);
    if (r < 0 && errno != EINTR) throw_errno("poll", "output of " + info.name);
    if (r == 0 && exited) break;  // something outside kept a pipe open: stop reading
    for (int i = 0; i < 2; ++i) {
      if (at[i] < 0 || !p[at[i]].revents) continue;
      char buf[16384];
      ssize_t got = ::read(*fds[i], buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        splits[i].flush(emit);
        ::close(*fds[i]);
        *fds[i] = -1;
      } else {
        splits[i].feed(buf, static_cast<std::size_t>(got), emit);
      }
    }
    if (pid_at >= 0 && p[pid_at].revents) {
      exited = true;
      deadline = now_ms() + 2000;
    }
  }
  for (auto& s : splits) s.flush(emit);
  monitor::close_launched(child.l);
  int status = 0;
  while (::waitpid(child.l.pid, &status, 0) < 0 && errno == EINTR) {
  }
  child.l.pid = -1;
  st.exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  st.status = "exited";
  st.pid = 0;
  st.finished_at = now_text();
  monitor::write_status(f.state().c_str(), st);
  monitor::append_event(events, "die", info.id, attrs, "\"exitCode\":\"" + std::to_string(st.exit_code) + "\"");
  return st.exit_code;
}

}  // namespace berth::engine
