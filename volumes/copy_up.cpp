#include "volumes/copy_up.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <optional>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace berth::volumes {

namespace fs = std::filesystem;

namespace {

std::optional<struct stat> lstat_opt(const fs::path& p) {
  struct stat st{};
  if (::lstat(p.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw_errno("lstat", p.string());
  }
  return st;
}

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == ::makedev(0, 0); }

bool is_opaque(const fs::path& dir) {
  char v[4];
  ssize_t n = ::lgetxattr(dir.c_str(), "trusted.overlay.opaque", v, sizeof v);
  return n == 1 && v[0] == 'y';
}

void copy_metadata(const fs::path& dest, const struct stat& st) {
  // Ownership first: chown clears set-id bits that the chmod below restores.
  if (::lchown(dest.c_str(), st.st_uid, st.st_gid) != 0 && errno != EPERM) throw_errno("lchown", dest.string());
  if (!S_ISLNK(st.st_mode) && ::chmod(dest.c_str(), st.st_mode & 07777) != 0) throw_errno("chmod", dest.string());
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  ::utimensat(AT_FDCWD, dest.c_str(), times, AT_SYMLINK_NOFOLLOW);
}

void copy_file(const fs::path& src, const fs::path& dest, const struct stat& st) {
  UniqueFd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!in) throw_errno("open", src.string());
  UniqueFd out(::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!out) throw_errno("create", dest.string());
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", src.string());
    }
    if (n == 0) break;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(out.get(), buf + off, static_cast<size_t>(n - off));
      if (w < 0) {
        if (errno == EINTR) continue;
        throw_errno("write", dest.string());
      }
      off += w;
    }
  }
  copy_metadata(dest, st);
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) throw_errno("opendir", dir.string());
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(std::move(n));
  }
  ::closedir(d);
  return out;
}

// `dirs` are the same directory in each layer that shows it, top layer first (already cut at the
// first opaque one). Copies their merged content into dest.
void merge_into(const std::vector<fs::path>& dirs, const fs::path& dest) {
  struct Winner {
    std::size_t layer;
    struct stat st;
  };
  std::map<std::string, std::optional<Winner>> decided;  // nullopt: whited out
  for (std::size_t i = 0; i < dirs.size(); ++i) {
    for (auto& name : entries(dirs[i])) {
      if (decided.count(name)) continue;
      auto st = lstat_opt(dirs[i] / name);
      if (!st) continue;
      if (is_whiteout(*st))
        decided[name] = std::nullopt;
      else
        decided[name] = Winner{i, *st};
    }
  }
  for (auto& [name, w] : decided) {
    if (!w) continue;
    fs::path src = dirs[w->layer] / name, out = dest / name;
    const auto& st = w->st;
    if (S_ISDIR(st.st_mode)) {
      std::vector<fs::path> sub{src};
      // Lower layers' same-named directories show through unless this one is opaque.
      for (std::size_t j = w->layer + 1; j < dirs.size() && !is_opaque(sub.back()); ++j) {
        auto lower = lstat_opt(dirs[j] / name);
        if (!lower) continue;
        if (!S_ISDIR(lower->st_mode)) break;
        sub.push_back(dirs[j] / name);
      }
      if (::mkdir(out.c_str(), 0700) != 0) throw_errno("mkdir", out.string());
      merge_into(sub, out);
      copy_metadata(out, st);
    } else if (S_ISREG(st.st_mode)) {
      copy_file(src, out, st);
    } else if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      auto target = fs::read_symlink(src, ec);
      if (ec) throw_sys(ec.value(), "readlink", src.string());
      if (::symlink(target.c_str(), out.c_str()) != 0) throw_errno("symlink", out.string());
      copy_metadata(out, st);
    } else {
      // fifos, sockets and devices: recreate when allowed (devices need root).
      if (::mknod(out.c_str(), st.st_mode, st.st_rdev) != 0) {
        if (errno == EPERM) continue;
        throw_errno("mknod", out.string());
      }
      copy_metadata(out, st);
    }
  }
}

}  // namespace

bool dir_is_empty(const fs::path& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  return ec || it == fs::directory_iterator();
}

bool copy_image_path(const std::vector<fs::path>& layer_dirs, const std::string& path, const fs::path& dest) {
  auto rel = fs::path(path).lexically_normal().relative_path();
  std::vector<fs::path> dirs;  // top first
  for (auto it = layer_dirs.rbegin(); it != layer_dirs.rend(); ++it) {
    fs::path p = *it / rel;
    auto st = lstat_opt(p);
    if (st) {
      if (!S_ISDIR(st->st_mode)) break;  // a file or a whiteout hides the lower layers
      dirs.push_back(p);
      if (is_opaque(p)) break;
      continue;
    }
    // Absent here: an ancestor that is whited out or opaque in this layer hides what lies below.
    bool hidden = false;
    for (fs::path a = rel.parent_path(); !a.empty() && !hidden; a = a.parent_path()) {
      auto ast = lstat_opt(*it / a);
      hidden = ast && (!S_ISDIR(ast->st_mode) || is_opaque(*it / a));
      if (a == a.parent_path()) break;
    }
    if (hidden) break;
  }
  if (dirs.empty()) return false;
  merge_into(dirs, dest);
  auto top = lstat_opt(dirs.front());
  copy_metadata(dest, *top);
  return true;
}

}  // namespace berth::volumes
