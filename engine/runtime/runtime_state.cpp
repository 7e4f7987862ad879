// Reading a container's recorded state back (container.json + the monitor's state file + is
// the monitor alive?), shared by every Runtime operation.
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/unique_fd.hpp"
#include "engine/runtime/cgroup.hpp"
#include "engine/runtime/runtime_internal.hpp"
#include "engine/runtime/spec_json.hpp"

namespace berth::engine::detail {

fs::path containers_dir(const StatePaths& paths) { return paths.root / "containers"; }

ContainerFiles files_for(const StatePaths& paths, const std::string& id) {
  return {containers_dir(paths) / id, paths.runtime / "containers" / id, paths.runtime / "netns" / id};
}

void write_text(const fs::path& path, const std::string& text, unsigned mode) {
  write_file_atomic(path, text, mode, Sync::No);
}

bool monitor_alive(const ContainerFiles& f) {
  UniqueFd fd(::open(f.monitor_lock().c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return false;
  return errno == EWOULDBLOCK;
}

monitor::Status load_status(const ContainerFiles& f) {
  auto text = try_read_file(f.state());
  return text ? monitor::parse_status(*text) : monitor::Status{};
}

std::optional<ContainerInfo> load_info(const StatePaths& paths, const std::string& id) {
  ContainerFiles f = files_for(paths, id);
  auto text = try_read_file(f.config());
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;  // a half-written record: not a container
  ContainerInfo info;
  info.id = j.value("id", id);
  info.name = j.value("name", "");
  info.labels = j.value("labels", std::map<std::string, std::string>{});
  info.image = j.value("image", "");
  info.image_id = j.value("image_id", "");
  info.created = j.value("created", "");
  if (j.contains("spec")) info.spec = spec_from_json(j["spec"]);
  info.dir = f.dir;
  info.log_path = f.dir / (id + "-json.log");
  if (info.spec.network.kind == NetworkMode::Kind::New || info.spec.network.kind == NetworkMode::Kind::None)
    info.netns_path = f.netns;
  else if (info.spec.network.kind == NetworkMode::Kind::JoinContainer)
    info.netns_path = j.value("joined_netns", "");

  auto st = load_status(f);
  auto supervised = [&] { return st.status == "running" || st.status == "restarting"; };
  bool alive = supervised() && monitor_alive(f);
  // The monitor records the exit, then exits: read between the two, the status says running and
  // the monitor is gone. Read again; only a status still unchanged means the monitor died.
  if (supervised() && !alive) st = load_status(f);
  info.exit_code = st.exit_code;
  info.started_at = st.started_at;
  info.finished_at = st.finished_at;
  info.oom_killed = st.oom_killed;
  info.restart_count = st.restart_count;
  info.health = st.health;
  info.health_failing_streak = st.health_failing_streak;
  info.health_last_output = st.health_output;
  if (!st.error.empty()) {
    if (auto e = nlohmann::json::parse(st.error, nullptr, false); e.is_object())
      info.error = e.value("message", st.error);
    else
      info.error = st.error;
  }
  if (st.status.empty() || st.status == "created") {
    info.state = ContainerState::Created;
  } else if (st.status == "exited") {
    info.state = ContainerState::Exited;
  } else if (!alive) {
    // The monitor is gone without recording an exit: the container is unsupervised.
    info.state = ContainerState::Dead;
    info.error = "monitor died (pid " + std::to_string(st.monitor_pid) + ")";
    info.pid = st.pid;
  } else if (st.status == "restarting") {
    info.state = ContainerState::Restarting;
  } else {
    info.pid = st.pid;
    info.state = Cgroup::for_container(id)->frozen() ? ContainerState::Paused : ContainerState::Running;
  }
  return info;
}

std::string container_hostname(const ContainerInfo& info) {
  return info.spec.hostname.empty() ? info.id.substr(0, 12) : info.spec.hostname;
}

std::vector<std::string> container_env(const ContainerInfo& info) {
  std::vector<std::string> env;
  auto has = [&](const std::string& k) {
    for (const auto& e : info.spec.env)
      if (e.compare(0, k.size() + 1, k + "=") == 0) return true;
    return false;
  };
  if (!has("PATH")) env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  if (!has("HOSTNAME")) env.push_back("HOSTNAME=" + container_hostname(info));
  if (info.spec.tty && !has("TERM")) env.push_back("TERM=xterm");
  env.insert(env.end(), info.spec.env.begin(), info.spec.env.end());
  return env;
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  auto delay = std::chrono::milliseconds(1);
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= end) return pred();
    std::this_thread::sleep_for(delay);
    if (delay < std::chrono::milliseconds(20)) delay *= 2;
  }
  return true;
}

int open_pidfd(pid_t pid) {
  if (pid <= 0) return -1;
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

bool wait_pidfd(int fd, std::chrono::milliseconds timeout) {
  struct pollfd p = {fd, POLLIN, 0};
  auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() < 0) left = std::chrono::milliseconds(0);
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace berth::engine::detail
