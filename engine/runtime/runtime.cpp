// Runtime: create / remove / inspect / list and the small operations. Start, stop and friends
// are in runtime_start.cpp; exec, logs and top in their own files.
#include "engine/runtime/runtime.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/file_lock.hpp"
#include "base/hex.hpp"
#include "base/log.hpp"
#include "base/rollback.hpp"
#include "base/unique_fd.hpp"
#include "engine/monitor/event_log.hpp"
#include "engine/monitor/time_format.hpp"
#include "engine/runtime/cgroup.hpp"
#include "engine/runtime/netns.hpp"
#include "engine/runtime/runtime_internal.hpp"
#include "engine/runtime/spec_json.hpp"

namespace berth::engine {

using namespace detail;

namespace {

std::string random_id() { return random_hex(32); }

std::string now_text() {
  char buf[monitor::kTimeBufSize];
  monitor::format_now(buf);
  return buf;
}

fs::path self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path("/proc/self/exe") : p;
}

}  // namespace

Runtime::Runtime(const StatePaths& paths, RuntimeOptions options) : paths_(paths), options_(std::move(options)) {
  if (options_.berth_exe.empty()) {
    const char* env = std::getenv("BERTH_EXE");
    if (env && *env) {
      options_.berth_exe = env;
    } else {
      // the small init program beside the CLI when installed (cheaper to exec), else the CLI
      fs::path small = self_exe().parent_path() / "berth-init";
      options_.berth_exe = ::access(small.c_str(), X_OK) == 0 ? small : self_exe();
    }
  }
  if (options_.monitor_exe.empty()) {
    const char* env = std::getenv("BERTH_MONITOR");
    options_.monitor_exe = env && *env ? fs::path(env) : options_.berth_exe.parent_path() / "berth-monitor";
  }
}

// A reservation is <root>/names/<name> (made with O_EXCL, holding the owner's id), flocked by
// its creator until the container's record exists. One that nobody holds and whose container was
// never recorded was left by a creator that died: it is reclaimed.
UniqueFd Runtime::reserve_name(const std::string& name, const std::string& id) {
  fs::path dir = paths_.root / "names";
  fs::create_directories(dir);
  fs::path p = dir / name;
  for (int attempt = 0; attempt < 3; ++attempt) {
    UniqueFd fd(::open(p.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd) {
      if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) throw_errno("flock", p.string());
      if (::write(fd.get(), id.data(), id.size()) != static_cast<ssize_t>(id.size())) throw_errno("write", p.string());
      return fd;
    }
    if (errno != EEXIST) throw_errno("create", p.string());
    UniqueFd other(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!other) continue;  // released meanwhile
    if (::flock(other.get(), LOCK_EX | LOCK_NB) != 0)
      throw UserError("container name \"" + name + "\" is being created by another process");
    struct stat held, now;
    if (::fstat(other.get(), &held) != 0 || ::stat(p.c_str(), &now) != 0 || held.st_ino != now.st_ino)
      continue;  // replaced meanwhile by another reclaimer's reservation
    std::string owner = try_read_file(p).value_or("");
    if (!owner.empty() && load_info(paths_, owner))
      throw UserError("container name \"" + name + "\" is already in use by container " + owner.substr(0, 12) +
                      ": remove or rename that container");
    ::unlink(p.c_str());  // its creator died before recording the container (or a power loss ate the record)
  }
  throw UserError("container name \"" + name + "\" is being created by another process");
}

void Runtime::release_name(const std::string& name, const std::string& id) {
  fs::path p = paths_.root / "names" / name;
  if (try_read_file(p).value_or("") == id) ::unlink(p.c_str());
}

std::string Runtime::create(const ContainerSpec& spec_in) {
  ContainerSpec spec = spec_in;
  validate_spec(spec);
  fs::create_directories(containers_dir(paths_));
  std::string id = random_id();
  if (spec.name.empty()) spec.name = "berth_" + id.substr(0, 12);
  Rollback rb;
  // Names are unique: <root>/names/<name> is made with O_EXCL and holds the owner's id, so
  // parallel creates neither serialize on one lock nor read every other container.
  UniqueFd reservation = reserve_name(spec.name, id);
  rb.add([this, n = spec.name, id] { release_name(n, id); });
  std::string joined_netns;
  if (spec.network.kind == NetworkMode::Kind::JoinContainer) {
    auto target = find(spec.network.container);
    if (!target) throw UserError("network_mode container:" + spec.network.container + ": no such container");
    spec.network.container = target->id;
    joined_netns = target->netns_path.string();
  }

  ContainerFiles f = files_for(paths_, id);
  fs::create_directories(f.dir);
  rb.add([d = f.dir] { fs::remove_all(d); });
  for (const char* sub : {"upper", "work"}) fs::create_directory(f.dir / sub);
  fs::create_directories(f.rootfs());
  rb.add([d = f.rdir] { fs::remove_all(d); });
  {
    ContainerInfo made;
    made.id = id;
    made.spec = spec;
    write_etc_files(f, made);
  }
  if (spec.network.kind == NetworkMode::Kind::New || spec.network.kind == NetworkMode::Kind::None) {
    create_netns(f.netns);
    rb.add([n = f.netns] { remove_netns(n); });
  }
  nlohmann::json j;
  j["id"] = id;
  j["name"] = spec.name;
  j["labels"] = spec.labels;
  j["image_id"] = spec.image_id;
  j["image"] = spec.image;
  j["created"] = now_text();
  if (!joined_netns.empty()) j["joined_netns"] = joined_netns;
  j["spec"] = spec_to_json(spec);
  // Not fsync'ed (a millisecond and more of every container start): the record was written whole
  // or not at all (rename), and one a power loss left empty is not a container (load_info) and
  // does not hold its name (reserve_name).
  write_file_atomic(f.config(), j.dump(2), 0644, Sync::Started);
  rb.dismiss();
  monitor::append_event(events_path(paths_).string(), "create", id, event_attributes(spec.name, spec.image, spec.labels));
  log::debug("created container {} ({})", spec.name, id);
  return id;
}

ContainerInfo Runtime::inspect(const std::string& name_or_id) const {
  auto info = find(name_or_id);
  if (!info) throw UserError("No such container: " + name_or_id);
  return *info;
}

std::vector<ContainerInfo> Runtime::list() const {
  std::vector<ContainerInfo> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(containers_dir(paths_), ec)) {
    if (!e.is_directory()) continue;
    if (auto info = load_info(paths_, e.path().filename().string())) out.push_back(std::move(*info));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.created > b.created; });
  return out;
}

std::optional<ContainerInfo> Runtime::find(const std::string& name_or_id) const {
  if (name_or_id.empty()) return std::nullopt;
  if (name_or_id.size() == 64 && name_or_id.find('/') == std::string::npos) {
    if (auto info = load_info(paths_, name_or_id)) return info;
  }
  std::optional<ContainerInfo> by_prefix;
  int prefix_matches = 0;
  for (auto& c : list()) {
    if (c.name == name_or_id) return c;
    if (c.id.rfind(name_or_id, 0) == 0) {
      ++prefix_matches;
      by_prefix = c;
    }
  }
  if (prefix_matches > 1) throw UserError("multiple containers match \"" + name_or_id + "\": use more of the id");
  return by_prefix;
}

std::vector<ContainerInfo> Runtime::find_by_labels(const std::map<std::string, std::string>& labels) const {
  std::vector<ContainerInfo> out;
  for (auto& c : list()) {
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = c.labels.find(k);
      if (it == c.labels.end() || (!v.empty() && it->second != v)) {
        match = false;
        break;
      }
    }
    if (match) out.push_back(std::move(c));
  }
  return out;
}

void Runtime::remove(const std::string& name_or_id, bool force) {
  ContainerInfo info = inspect(name_or_id);
  ContainerFiles f = files_for(paths_, info.id);
  if (info.running() || info.state == ContainerState::Restarting) {
    if (!force)
      throw UserError("cannot remove container \"" + info.name + "\": container is " + to_string(info.state) +
                      ": stop the container before removing or force remove");
    stop(info.id, std::chrono::seconds(0));
  }
  FileLock op = FileLock::acquire(f.op_lock());
  // A monitor still recording an exit writes into the container's directory: let it finish (it
  // goes within milliseconds), or removing the directory races with its last state file.
  wait_until([&] { return !monitor_alive(f); }, std::chrono::seconds(5));
  // A dead monitor may have left the container's processes running: the cgroup kills them.
  auto cg = Cgroup::for_container(info.id);
  cg->destroy();
  if (!info.netns_path.empty() && info.netns_path == f.netns) remove_netns(f.netns);
  fs::remove_all(f.dir);
  fs::remove_all(f.rdir);
  release_name(info.name, info.id);
  emit_event(paths_, "destroy", info);
  log::debug("removed container {} ({})", info.name, info.id);
}

void Runtime::pause(const std::string& name_or_id) {
  ContainerInfo info = inspect(name_or_id);
  if (info.state == ContainerState::Paused) throw UserError("container " + info.name + " is already paused");
  if (info.state != ContainerState::Running) throw UserError("container " + info.name + " is not running");
  Cgroup::for_container(info.id)->freeze(true);
  emit_event(paths_, "pause", info);
}

void Runtime::unpause(const std::string& name_or_id) {
  ContainerInfo info = inspect(name_or_id);
  if (info.state != ContainerState::Paused) throw UserError("container " + info.name + " is not paused");
  Cgroup::for_container(info.id)->freeze(false);
  emit_event(paths_, "unpause", info);
}

void Runtime::update_hosts(const std::string& name_or_id, const std::string& contents) {
  ContainerInfo info = inspect(name_or_id);
  // In place (not rename): the container's bind mount holds the inode.
  fs::path p = files_for(paths_, info.id).hosts();
  std::ofstream out(p, std::ios::trunc);
  out << contents;
  out.close();
  if (!out) throw_errno("write", p.string());
}

}  // namespace berth::engine
