#include "engine/runtime/cgroup.hpp"

#include <signal.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <linux/magic.h>
#include <sstream>
#include <thread>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "engine/runtime/cgroup_controllers.hpp"
#include "engine/runtime/cgroup_files.hpp"
#include "engine/runtime/cgroup_v2_tree.hpp"
#include "engine/runtime/device_filter.hpp"

namespace berth::engine {
namespace fs = std::filesystem;
namespace {

const fs::path kRoot = "/sys/fs/cgroup";

void write_value(const fs::path& file, const std::string& value) { cgroup_write(file, value); }
std::string read_trim(const fs::path& file) { return cgroup_read(file); }

std::string pids_max(const Resources& r) {
  return r.pids_limit < 0 ? "max" : std::to_string(r.pids_limit > 0 ? r.pids_limit : kDefaultPidsLimit);
}

std::vector<int> read_pids(const fs::path& dir) {
  std::vector<int> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  std::istringstream in(try_read_file(dir / "cgroup.procs").value_or(""));
  int p;
  while (in >> p) out.push_back(p);
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory()) {
      auto sub = read_pids(e.path());
      out.insert(out.end(), sub.begin(), sub.end());
    }
  return out;
}

void kill_and_rmdir(const std::vector<fs::path>& dirs, const std::function<std::vector<int>()>& pids) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto ps = pids();
    if (ps.empty()) break;
    for (int p : ps) ::kill(p, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const auto& d : dirs) {
    std::error_code ec;
    if (!fs::exists(d, ec)) continue;
    for (int attempt = 0;; ++attempt) {
      if (::rmdir(d.c_str()) == 0 || errno == ENOENT) break;
      if (errno != EBUSY || attempt > 200) throw_errno("rmdir", d.string());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

// ---- v1 -----------------------------------------------------------------------------------------

class CgroupV1 final : public Cgroup {
 public:
  explicit CgroupV1(std::string id) : id_(std::move(id)) {
    // systemd's own hierarchies too (name=systemd, a hybrid host's unified mount), as runc does:
    // the container (and an exec into it) leaves the caller's, so that a systemd session or unit
    // stopping does not kill it.
    for (const char* c : {"memory", "cpu", "cpuacct", "cpuset", "pids", "freezer", "blkio", "devices", "systemd", "unified"}) {
      std::error_code ec;
      if (fs::exists(kRoot / c, ec)) controllers_.emplace_back(c);
    }
  }
  fs::path dir(const std::string& c) const { return kRoot / c / "berth" / id_; }
  bool has(const std::string& c) const {
    return std::find(controllers_.begin(), controllers_.end(), c) != controllers_.end();
  }

  bool exists() const override {
    std::error_code ec;
    return !controllers_.empty() && fs::exists(dir(controllers_.front()), ec);
  }

  void create(const Resources& r, const std::vector<DeviceRule>& devices) override {
    try {
      for (const auto& c : controllers_) {
        fs::path parent = kRoot / c / "berth";
        std::error_code ec;
        bool fresh_parent = fs::create_directory(parent, ec);
        if (ec) throw_sys(ec.value(), "mkdir", parent.string());
        if (c == "cpuset" && (fresh_parent || read_trim(parent / "cpuset.cpus").empty())) inherit_cpuset(parent);
        if (!fs::create_directory(dir(c), ec) && ec) throw_sys(ec.value(), "mkdir", dir(c).string());
        if (c == "cpuset") inherit_cpuset(dir(c));
      }
      set_limits(r);
      set_devices(devices);
    } catch (...) {
      try {
        destroy();
      } catch (...) {
      }
      throw;
    }
  }

  std::vector<std::string> procs_files() const override {
    std::vector<std::string> out;
    for (const auto& c : controllers_) out.push_back((dir(c) / "cgroup.procs").string());
    return out;
  }

  std::vector<int> pids() const override {
    for (const char* c : {"pids", "memory", "freezer", "cpu"})
      if (has(c)) return read_pids(dir(c));
    return {};
  }

  void freeze(bool frozen) override {
    if (!has("freezer")) throw UserError("cgroup freezer controller not available");
    write_value(dir("freezer") / "freezer.state", frozen ? "FROZEN" : "THAWED");
    for (int i = 0; i < 500; ++i) {
      std::string s = read_trim(dir("freezer") / "freezer.state");
      if (s == (frozen ? "FROZEN" : "THAWED")) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    throw UserError("cgroup freezer did not reach " + std::string(frozen ? "FROZEN" : "THAWED"));
  }

  bool frozen() const override {
    return has("freezer") && read_trim(dir("freezer") / "freezer.state") == "FROZEN";
  }

  std::string oom_file() const override { return has("memory") ? (dir("memory") / "memory.oom_control").string() : ""; }

  CgroupUsage usage() const override {
    std::map<std::string, fs::path> dirs;
    for (const char* c : {"memory", "cpuacct", "pids", "blkio"})
      if (has(c)) dirs[c] = dir(c);
    return read_usage_v1(dirs);
  }

  void destroy() override {
    std::vector<fs::path> dirs;
    for (const auto& c : controllers_) dirs.push_back(dir(c));
    if (frozen()) write_value(dir("freezer") / "freezer.state", "THAWED");  // frozen tasks cannot die
    kill_and_rmdir(dirs, [this] { return pids(); });
  }

 private:
  // Before any process joins: deny everything (this empties the exception list), then allow the
  // rules in order. Without the devices controller there is no way to confine devices on v1.
  void set_devices(const std::vector<DeviceRule>& devices) {
    if (!has("devices")) throw UserError("the cgroup v1 devices controller is not mounted: containers cannot be confined");
    fs::path d = dir("devices");
    write_value(d / "devices.deny", "a");
    for (const auto& rule : devices) write_value(d / (rule.allow ? "devices.allow" : "devices.deny"), to_string(rule));
  }

  static void inherit_cpuset(const fs::path& d) {
    for (const char* f : {"cpuset.cpus", "cpuset.mems"})
      if (read_trim(d / f).empty()) write_value(d / f, read_trim(d.parent_path() / f));
  }

  void set_limits(const Resources& r) {
    if (has("memory")) {
      fs::path m = dir("memory");
      if (r.memory > 0) write_value(m / "memory.limit_in_bytes", std::to_string(r.memory));
      if (r.memory > 0) {
        // -m alone: swap as much as memory (memory+swap = 2 x memory), Docker's default.
        std::int64_t memsw = r.memory_swap == 0 ? 2 * r.memory : r.memory_swap;
        std::error_code ec;
        if (fs::exists(m / "memory.memsw.limit_in_bytes", ec))
          write_value(m / "memory.memsw.limit_in_bytes", memsw < 0 ? "-1" : std::to_string(memsw));
        // Without swap accounting (no memsw files) the kernel cannot enforce it: Docker warns too.
      }
      if (r.memory_reservation > 0) write_value(m / "memory.soft_limit_in_bytes", std::to_string(r.memory_reservation));
    }
    if (has("cpu")) {
      fs::path c = dir("cpu");
      if (r.cpu_shares > 0) write_value(c / "cpu.shares", std::to_string(r.cpu_shares));
      std::int64_t period = r.cpu_period > 0 ? r.cpu_period : 100000;
      std::int64_t quota = r.cpus > 0 ? static_cast<std::int64_t>(std::llround(r.cpus * static_cast<double>(period))) : r.cpu_quota;
      if (r.cpu_period > 0 || r.cpus > 0) write_value(c / "cpu.cfs_period_us", std::to_string(period));
      if (quota != 0) write_value(c / "cpu.cfs_quota_us", std::to_string(quota));
    }
    if (has("cpuset") && !r.cpuset_cpus.empty()) write_value(dir("cpuset") / "cpuset.cpus", r.cpuset_cpus);
    if (has("pids")) write_value(dir("pids") / "pids.max", pids_max(r));
  }

  std::string id_;
  std::vector<std::string> controllers_;
};

// ---- v2 -----------------------------------------------------------------------------------------

class CgroupV2 final : public Cgroup {
 public:
  CgroupV2(fs::path root, const std::string& id) : root_(std::move(root)), dir_(root_ / "berth" / id) {}

  bool exists() const override {
    std::error_code ec;
    return fs::exists(dir_, ec);
  }

  void create(const Resources& r, const std::vector<DeviceRule>& devices) override {
    try {
      // Only what the limits need (plus memory and pids when delegated), never io or cpuset
      // unless asked: enabling them can fail or cost.
      ControllerNeeds needs = controllers_for(r);
      std::vector<std::string> wanted = needs.required;
      wanted.insert(wanted.end(), needs.optional.begin(), needs.optional.end());
      available_ = enable_v2_controllers(root_, wanted);
      for (const auto& c : needs.required)
        if (!has_controller(available_, c))
          throw UserError(missing_controller_message(c, root_, parse_controllers(read_trim(root_ / "cgroup.controllers"))));
      make_cgroup_dir(dir_);
      set_limits(r);
      attach_device_filter(dir_, devices);  // stays attached as long as the cgroup exists
    } catch (...) {
      try {
        destroy();
      } catch (...) {
      }
      throw;
    }
  }

  std::vector<std::string> procs_files() const override { return {(dir_ / "cgroup.procs").string()}; }
  std::vector<int> pids() const override { return read_pids(dir_); }

  void freeze(bool frozen) override {
    write_value(dir_ / "cgroup.freeze", frozen ? "1" : "0");
    for (int i = 0; i < 500; ++i) {
      auto events = try_read_file(dir_ / "cgroup.events").value_or("");
      if (events.find(frozen ? "frozen 1" : "frozen 0") != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    throw UserError("cgroup did not freeze");
  }

  bool frozen() const override { return read_trim(dir_ / "cgroup.freeze") == "1"; }
  std::string oom_file() const override { return (dir_ / "memory.events").string(); }
  CgroupUsage usage() const override { return read_usage_v2(dir_); }

  void destroy() override {
    std::error_code ec;
    if (fs::exists(dir_ / "cgroup.kill", ec) && fs::exists(dir_, ec)) {
      try {
        write_value(dir_ / "cgroup.kill", "1");
      } catch (...) {
      }
    }
    kill_and_rmdir({dir_}, [this] { return pids(); });
  }

 private:
  void set_limits(const Resources& r) {
    if (r.memory > 0) write_value(dir_ / "memory.max", std::to_string(r.memory));
    std::error_code ec;
    // -m alone: swap as much as memory, Docker's default; without swap accounting (no
    // memory.swap.max) only an explicit --memory-swap is an error.
    if (r.memory > 0 && (r.memory_swap != 0 || fs::exists(dir_ / "memory.swap.max", ec)))
      write_value(dir_ / "memory.swap.max", r.memory_swap < 0    ? "max"
                                            : r.memory_swap == 0 ? std::to_string(r.memory)
                                                                 : std::to_string(r.memory_swap - r.memory));
    if (r.memory_reservation > 0) write_value(dir_ / "memory.low", std::to_string(r.memory_reservation));
    if (r.cpu_shares > 0)  // Docker/runc's shares -> weight conversion
      write_value(dir_ / "cpu.weight", std::to_string(1 + ((r.cpu_shares - 2) * 9999) / 262142));
    std::int64_t period = r.cpu_period > 0 ? r.cpu_period : 100000;
    std::int64_t quota = r.cpus > 0 ? static_cast<std::int64_t>(std::llround(r.cpus * static_cast<double>(period))) : r.cpu_quota;
    if (quota != 0 || r.cpu_period > 0)
      write_value(dir_ / "cpu.max", (quota > 0 ? std::to_string(quota) : std::string("max")) + " " + std::to_string(period));
    if (!r.cpuset_cpus.empty()) write_value(dir_ / "cpuset.cpus", r.cpuset_cpus);
    // The default (and "unlimited") only where the pids controller is delegated; a positive limit
    // was checked in create().
    if (r.pids_limit > 0 || has_controller(available_, "pids")) write_value(dir_ / "pids.max", pids_max(r));
  }

  fs::path root_;
  fs::path dir_;
  std::vector<std::string> available_;
};

}  // namespace

bool Cgroup::is_v2_host() {
  struct statfs sf;
  return ::statfs(kRoot.c_str(), &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

std::unique_ptr<Cgroup> Cgroup::for_container(const std::string& id) {
  if (is_v2_host()) return std::make_unique<CgroupV2>(kRoot, id);
  return std::make_unique<CgroupV1>(id);
}

}  // namespace berth::engine
