#include "builder/image_rootfs.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <sys/xattr.h>

#include <climits>
#include <cstring>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/hex.hpp"
#include "base/log.hpp"
#include "builder/build_owner.hpp"
#include "engine/image/overlay_mount.hpp"

namespace berth::builder {

MountedRootfs::MountedRootfs(const std::vector<std::filesystem::path>& layers, const std::filesystem::path& scratch_dir) {
  if (layers.size() == 1) {  // overlayfs wants two lowers for a read-only mount; one is its own view
    path_ = layers[0];
    return;
  }
  std::filesystem::create_directories(scratch_dir);
  dir_ = scratch_dir / ("rootfs-" + owner_tag() + "-" + random_hex(8));  // see build_owner.hpp
  std::filesystem::create_directory(dir_);
  path_ = dir_;
  if (layers.empty()) return;  // scratch: an empty directory
  try {
    engine::mount_overlay(layers, {}, {}, dir_, MS_RDONLY);
    mounted_ = true;
  } catch (...) {
    std::filesystem::remove(dir_);
    throw;
  }
}

MountedRootfs::~MountedRootfs() {
  if (mounted_ && ::umount2(dir_.c_str(), MNT_DETACH) != 0) log::warn("umount {}: {}", dir_.string(), std::strerror(errno));
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove(dir_, ec);
}

namespace {

bool whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

bool opaque(const std::filesystem::path& dir) {
  char v = 0;
  return ::lgetxattr(dir.c_str(), "trusted.overlay.opaque", &v, 1) == 1 && v == 'y';
}

// The layer (top down) that holds `path`, nullopt when none does or a layer hides it.
std::optional<std::filesystem::path> find(const std::vector<std::filesystem::path>& layers, const std::string& path,
                                          struct stat* out) {
  std::filesystem::path rel = std::filesystem::path(path).relative_path();
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    auto p = *it / rel;
    struct stat st;
    if (::lstat(p.c_str(), &st) == 0) {
      if (whiteout(st)) return std::nullopt;
      *out = st;
      return p;
    }
    // An opaque parent directory in this layer hides the layers below.
    for (auto parent = rel.parent_path(); !parent.empty(); parent = parent.parent_path())
      if (opaque(*it / parent)) return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::optional<struct stat> stat_in_layers(const std::vector<std::filesystem::path>& layers, const std::string& path) {
  struct stat st;
  if (!find(layers, path, &st)) return std::nullopt;
  return st;
}

std::optional<std::string> read_in_layers(const std::vector<std::filesystem::path>& layers, const std::string& path) {
  struct stat st;
  auto p = find(layers, path, &st);
  if (!p || !S_ISREG(st.st_mode)) return std::nullopt;
  return read_file(*p);
}

std::string resolve_in_layers(const std::vector<std::filesystem::path>& layers, const std::string& path, bool follow_last) {
  std::vector<std::string> todo, done;
  auto push_parts = [&](const std::string& p) {
    std::vector<std::string> parts;
    std::string cur;
    for (char c : p + "/") {
      if (c != '/') {
        cur += c;
        continue;
      }
      if (!cur.empty() && cur != ".") parts.push_back(cur);
      cur.clear();
    }
    todo.insert(todo.begin(), parts.begin(), parts.end());
  };
  push_parts(path);
  int links = 0;
  while (!todo.empty()) {
    std::string part = todo.front();
    todo.erase(todo.begin());
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string cur;
    for (const auto& d : done) cur += "/" + d;
    cur += "/" + part;
    struct stat st;
    auto where = (todo.empty() && !follow_last) ? std::nullopt : find(layers, cur, &st);
    if (where && S_ISLNK(st.st_mode) && ++links <= 40) {
      std::string target(PATH_MAX, '\0');
      ssize_t n = ::readlink(where->c_str(), target.data(), target.size());
      if (n > 0) {
        target.resize(static_cast<std::size_t>(n));
        if (target.starts_with("/")) done.clear();
        push_parts(target);
        continue;
      }
    }
    done.push_back(part);
  }
  std::string out;
  for (const auto& d : done) out += "/" + d;
  return out.empty() ? "/" : out;
}

}  // namespace berth::builder
