#include "volumes/volume_store.hpp"

#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>
#include <regex>

#include "base/error.hpp"
#include "base/name_limits.hpp"
#include "base/file_io.hpp"
#include "base/file_lock.hpp"
#include "base/log.hpp"
#include "base/rollback.hpp"
#include "volumes/mount_plan.hpp"

namespace berth::volumes {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string opt(const std::map<std::string, std::string>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? std::string() : it->second;
}

// `o: bind` (possibly among other options) or `type: none` with a device: the device is the volume.
bool is_bind_style(const std::map<std::string, std::string>& o) {
  std::string opts = "," + opt(o, "o") + ",";
  return opts.find(",bind,") != std::string::npos || opts.find(",rbind,") != std::string::npos ||
         (opt(o, "type") == "none" && !opt(o, "device").empty());
}

bool is_typed_mount(const std::map<std::string, std::string>& o) {
  return !o.empty() && !is_bind_style(o) && !opt(o, "type").empty();
}

json to_record(const VolumeInfo& v) {
  return json{{"name", v.name},         {"driver", v.driver},   {"labels", v.labels},
              {"options", v.options},   {"created", v.created}, {"initialized", v.initialized}};
}

VolumeInfo from_record(const fs::path& dir, const std::string& text) {
  auto j = json::parse(text);
  VolumeInfo v;
  v.name = j.at("name").get<std::string>();
  v.driver = j.value("driver", "local");
  v.labels = j.value("labels", std::map<std::string, std::string>{});
  v.options = j.value("options", std::map<std::string, std::string>{});
  v.created = j.value("created", "");
  v.initialized = j.value("initialized", false);
  v.dir = dir;
  v.mountpoint = dir / "_data";
  return v;
}

bool is_mountpoint(const fs::path& p) {
  struct stat a{}, b{};
  if (::stat(p.c_str(), &a) != 0 || ::stat(p.parent_path().c_str(), &b) != 0) return false;
  return a.st_dev != b.st_dev;
}

void write_record(const VolumeInfo& v) { write_file_atomic(v.dir / "volume.json", to_record(v).dump(2) + "\n"); }

}  // namespace

fs::path VolumeInfo::source() const {
  if (is_bind_style(options)) return opt(options, "device");
  return mountpoint;
}

bool valid_volume_name(const std::string& name) {
  static const std::regex re("[a-zA-Z0-9][a-zA-Z0-9_.-]+");
  return name.size() <= kMaxNameLength && std::regex_match(name, re);
}

VolumeStore::VolumeStore(const StatePaths& paths) : paths_(paths), dir_(paths.root / "volumes") {}

VolumeStore::Ensured VolumeStore::ensure(const VolumeCreate& request) {
  VolumeCreate req = request;
  if (req.name.empty()) {
    req.name = random_volume_name();
    req.labels.emplace(kAnonymousLabel, "");
  }
  if (!valid_volume_name(req.name))
    throw UserError("invalid volume name \"" + shown_name(req.name) + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at most " +
                    std::to_string(kMaxNameLength) + " characters");
  if (req.driver.empty()) req.driver = "local";
  if (req.driver != "local")
    throw UserError("volume " + req.name + ": driver \"" + req.driver + "\" is not supported (only local)");
  if (is_bind_style(req.driver_opts)) {
    auto dev = opt(req.driver_opts, "device");
    std::error_code ec;
    if (dev.empty() || !fs::is_directory(dev, ec))
      throw UserError("volume " + req.name + ": failed to mount local volume: bind device \"" + dev +
                      "\": no such directory");
  }

  fs::create_directories(dir_);
  auto lock = FileLock::acquire(dir_ / ".lock");
  if (auto existing = find(req.name)) return {*existing, false};

  VolumeInfo v;
  v.name = req.name;
  v.driver = req.driver;
  v.labels = req.labels;
  v.options = req.driver_opts;
  v.created = now_rfc3339();
  v.dir = dir_ / v.name;
  v.mountpoint = v.dir / "_data";
  Rollback undo;
  std::error_code ec;
  fs::create_directories(v.mountpoint, ec);
  if (ec) throw_sys(ec.value(), "mkdir", v.mountpoint.string());
  undo.add([d = v.dir] { fs::remove_all(d); });
  ::chmod(v.mountpoint.c_str(), 0755);
  if (is_typed_mount(v.options)) ensure_mounted(v);
  undo.add([this, v] {
    if (is_mountpoint(v.mountpoint)) ::umount2(v.mountpoint.c_str(), MNT_DETACH);
  });
  write_record(v);
  undo.dismiss();
  return {v, true};
}

std::optional<VolumeInfo> VolumeStore::find(const std::string& name) const {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") return std::nullopt;
  auto text = try_read_file(dir_ / name / "volume.json");
  if (!text) return std::nullopt;
  try {
    return from_record(dir_ / name, *text);
  } catch (const std::exception& e) {
    log::warn("volume {}: unreadable record ignored: {}", name, e.what());
    return std::nullopt;
  }
}

VolumeInfo VolumeStore::get(const std::string& name) const {
  auto v = find(name);
  if (!v) throw UserError("no such volume: " + name);
  return *v;
}

std::vector<VolumeInfo> VolumeStore::list() const {
  std::vector<VolumeInfo> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir_, ec)) {
    if (!e.is_directory()) continue;
    if (auto v = find(e.path().filename().string())) out.push_back(std::move(*v));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

void VolumeStore::ensure_mounted(const VolumeInfo& v) const {
  if (!is_typed_mount(v.options) || is_mountpoint(v.mountpoint)) return;
  auto type = opt(v.options, "type");
  auto device = opt(v.options, "device");
  if (device.empty()) device = type;  // tmpfs needs no device
  auto data = opt(v.options, "o");
  if (::mount(device.c_str(), v.mountpoint.c_str(), type.c_str(), 0, data.empty() ? nullptr : data.c_str()) != 0)
    throw_errno("mount " + type + " " + device, v.mountpoint.string());
}

void VolumeStore::mark_initialized(const std::string& name) {
  auto lock = FileLock::acquire(dir_ / ".lock");
  auto v = get(name);
  if (v.initialized) return;
  v.initialized = true;
  write_record(v);
}

void VolumeStore::remove(const std::string& name) {
  auto lock = FileLock::acquire(dir_ / ".lock");
  auto v = get(name);
  if (is_mountpoint(v.mountpoint) && ::umount2(v.mountpoint.c_str(), MNT_DETACH) != 0)
    throw_errno("umount", v.mountpoint.string());
  // The record goes first: a crash after it leaves only an invisible directory.
  std::error_code ec;
  fs::remove(v.dir / "volume.json", ec);
  if (ec) throw_sys(ec.value(), "unlink", (v.dir / "volume.json").string());
  fs::remove_all(v.dir, ec);
  if (ec) throw_sys(ec.value(), "remove", v.dir.string());
}

}  // namespace berth::volumes
