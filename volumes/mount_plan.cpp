#include "volumes/mount_plan.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "base/error.hpp"
#include "base/name_limits.hpp"
#include "base/hex.hpp"
#include "volumes/copy_up.hpp"
#include "volumes/volume_store.hpp"

namespace berth::volumes {

namespace fs = std::filesystem;

namespace {

std::string clean_target(const std::string& t) {
  if (t.empty() || t[0] != '/') throw UserError("invalid mount target \"" + t + "\": must be an absolute path");
  auto s = fs::path(t).lexically_normal().string();
  if (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::string octal(std::uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%o", mode);
  return buf;
}

PlannedMount from_request(const MountRequest& r, const MountPlanInput& in,
                          const std::function<std::string()>& new_name) {
  PlannedMount m;
  m.target = clean_target(r.target);
  m.read_only = r.read_only;
  m.origin = "service";
  switch (r.kind) {
    case MountRequest::Kind::Bind:
      if (r.source.empty() || r.source[0] != '/')
        throw UserError("invalid bind mount source \"" + r.source + "\" for " + m.target + ": must be an absolute path");
      m.type = PlannedMount::Type::Bind;
      m.source = fs::path(r.source).lexically_normal().string();
      m.create_host_path = r.create_host_path;
      m.propagation = r.propagation;
      break;
    case MountRequest::Kind::Named:
      if (!valid_volume_name(r.source)) throw UserError("invalid volume name \"" + shown_name(r.source) + "\" for " + m.target);
      m.type = PlannedMount::Type::Volume;
      m.source = r.source;
      m.copy_up = !r.nocopy;
      m.subpath = r.subpath;
      m.driver = r.driver;
      m.driver_opts = r.driver_opts;
      m.labels = r.labels;
      break;
    case MountRequest::Kind::Anonymous: {
      m.type = PlannedMount::Type::Volume;
      auto prev = in.previous_anonymous.find(m.target);
      m.source = prev != in.previous_anonymous.end() ? prev->second : new_name();
      m.anonymous = true;
      m.copy_up = !r.nocopy;
      m.labels = in.anonymous_labels;
      break;
    }
    case MountRequest::Kind::Tmpfs:
      m.type = PlannedMount::Type::Tmpfs;
      if (r.tmpfs_size) m.options.push_back("size=" + std::to_string(*r.tmpfs_size));
      if (r.tmpfs_mode) m.options.push_back("mode=" + octal(*r.tmpfs_mode));
      break;
  }
  return m;
}

}  // namespace

std::vector<PlannedMount> plan_mounts(const MountPlanInput& in, const std::function<std::string()>& new_name) {
  std::vector<PlannedMount> service;
  std::set<std::string> targets;
  for (auto& r : in.requests) {
    auto m = from_request(r, in, new_name);
    if (!targets.insert(m.target).second) throw UserError("duplicate mount point: " + m.target);
    service.push_back(std::move(m));
  }
  std::vector<PlannedMount> out;
  // Image VOLUMEs first (lowest precedence), then volumes_from, then the service's own mounts.
  for (auto& v : in.image_volumes) {
    auto target = clean_target(v);
    if (targets.count(target)) continue;
    bool inherited = std::any_of(in.inherited.begin(), in.inherited.end(),
                                 [&](auto& m) { return clean_target(m.target) == target; });
    if (inherited) continue;
    PlannedMount m;
    m.type = PlannedMount::Type::Volume;
    m.target = target;
    auto prev = in.previous_anonymous.find(target);
    m.source = prev != in.previous_anonymous.end() ? prev->second : new_name();
    m.anonymous = true;
    m.labels = in.anonymous_labels;
    m.origin = "image";
    targets.insert(target);
    out.push_back(std::move(m));
  }
  for (auto m : in.inherited) {
    m.target = clean_target(m.target);
    if (targets.count(m.target)) continue;
    m.origin = "volumes_from";
    m.copy_up = false;  // the volume belongs to the other container: it is already populated
    targets.insert(m.target);
    out.push_back(std::move(m));
  }
  for (auto& m : service) out.push_back(std::move(m));
  // Parents before children (so /data is mounted before /data/cache), then by path: deterministic.
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) {
    auto da = std::count(a.target.begin(), a.target.end(), '/'), db = std::count(b.target.begin(), b.target.end(), '/');
    return da != db ? da < db : a.target < b.target;
  });
  return out;
}

std::string random_volume_name() { return random_hex(32); }

namespace {

ResolvedMount resolve_volume(const PlannedMount& m, VolumeStore& store, const CopyUpFn& copy_up) {
  VolumeCreate req;
  req.name = m.source;
  req.driver = m.driver.empty() ? "local" : m.driver;
  req.driver_opts = m.driver_opts;
  req.labels = m.labels;
  if (m.anonymous) req.labels.emplace(kAnonymousLabel, "");
  auto ensured = store.ensure(req);
  auto& v = ensured.info;
  store.ensure_mounted(v);
  fs::path src = v.source();
  // Docker copies only into a volume that is new and still empty, and only once.
  if (!v.initialized) {
    if (m.copy_up && copy_up && m.subpath.empty() && dir_is_empty(src)) copy_up(m.target, src);
    store.mark_initialized(v.name);
  }
  if (!m.subpath.empty()) {
    auto sub = (src / m.subpath).lexically_normal();
    auto rel = sub.lexically_relative(src).string();
    if (rel.empty() || rel.rfind("..", 0) == 0)
      throw UserError("volume " + v.name + ": subpath \"" + m.subpath + "\" leaves the volume");
    std::error_code ec;
    if (!fs::is_directory(sub, ec))
      throw UserError("volume " + v.name + ": subpath \"" + m.subpath + "\" does not exist");
    src = sub;
  }
  ResolvedMount r;
  r.type = ResolvedMount::Type::Bind;
  r.source = src.string();
  r.target = m.target;
  r.read_only = m.read_only;
  r.volume = v.name;
  r.anonymous = m.anonymous;
  return r;
}

}  // namespace

std::vector<ResolvedMount> resolve_mounts(const std::vector<PlannedMount>& plan, VolumeStore& store,
                                          const CopyUpFn& copy_up) {
  std::vector<ResolvedMount> out;
  for (auto& m : plan) {
    switch (m.type) {
      case PlannedMount::Type::Bind: {
        std::error_code ec;
        if (!fs::exists(m.source, ec)) {
          if (!m.create_host_path) throw UserError("bind source path does not exist: " + m.source);
          fs::create_directories(m.source, ec);
          if (ec) throw_sys(ec.value(), "mkdir", m.source);
        }
        ResolvedMount r;
        r.source = m.source;
        r.target = m.target;
        r.read_only = m.read_only;
        r.propagation = m.propagation;
        out.push_back(std::move(r));
        break;
      }
      case PlannedMount::Type::Volume:
        out.push_back(resolve_volume(m, store, copy_up));
        break;
      case PlannedMount::Type::Tmpfs: {
        ResolvedMount r;
        r.type = ResolvedMount::Type::Tmpfs;
        r.target = m.target;
        r.read_only = m.read_only;
        r.options = m.options;
        out.push_back(std::move(r));
        break;
      }
    }
  }
  return out;
}

}  // namespace berth::volumes
