#include "engine/image/upper_changes.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <linux/openat2.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace berth::engine {
namespace {

namespace fs = std::filesystem;

// `rel` in one layer as overlayfs looks it up there: a symlink on the way is not followed (the
// layer shows nothing below it), and nothing resolves outside the layer.
bool stat_in_layer(int layer, const std::string& rel, struct stat& st) {
  auto slash = rel.rfind('/');
  if (slash == std::string::npos) return ::fstatat(layer, rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  open_how how{};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  UniqueFd parent(static_cast<int>(::syscall(SYS_openat2, layer, rel.substr(0, slash).c_str(), &how, sizeof how)));
  return parent && ::fstatat(parent.get(), rel.c_str() + slash + 1, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == ::makedev(0, 0); }

std::vector<std::string> names_in(int dirfd, const std::string& what) {
  int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno("open", what);
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    throw_errno("opendir", what);
  }
  std::vector<std::string> out;
  while (dirent* e = ::readdir(d)) {
    std::string_view n(e->d_name);
    if (n != "." && n != "..") out.emplace_back(n);
  }
  ::closedir(d);
  return out;
}

// What the layers (top first) show at `rel` ("a/b"): true when some layer has it and no layer
// above hides it (a whiteout, or a non-directory or opaque directory on the way down).
class LowerView {
 public:
  explicit LowerView(const std::vector<fs::path>& lower_dirs) {
    for (auto it = lower_dirs.rbegin(); it != lower_dirs.rend(); ++it) {
      UniqueFd fd(::open(it->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!fd) throw_errno("open", it->string());
      layers_.push_back(std::move(fd));
    }
  }

  bool exists(const std::string& rel) const { return find(rel) >= 0; }

  // The names the layers together show in directory `rel` (empty when it is none).
  std::set<std::string> children(const std::string& rel) const {
    std::set<std::string> shown, hidden;
    for (const auto& layer : layers_) {
      struct stat st;
      if (!stat_in_layer(layer.get(), rel, st)) continue;
      if (!S_ISDIR(st.st_mode)) break;
      open_how how{};
      how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
      how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
      UniqueFd d(static_cast<int>(::syscall(SYS_openat2, layer.get(), rel.c_str(), &how, sizeof how)));
      if (!d) break;
      for (auto& n : names_in(d.get(), rel)) {
        struct stat cst;
        if (hidden.count(n) || shown.count(n)) continue;
        if (::fstatat(d.get(), n.c_str(), &cst, AT_SYMLINK_NOFOLLOW) == 0 && is_whiteout(cst))
          hidden.insert(n);
        else
          shown.insert(n);
      }
      char v = 0;
      if (::fgetxattr(d.get(), "trusted.overlay.opaque", &v, 1) == 1 && v == 'y') break;
    }
    return shown;
  }

 private:
  // Index of the layer whose entry decides `rel`, or -1 when none shows it.
  int find(const std::string& rel) const {
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      struct stat st;
      if (!stat_in_layer(layers_[i].get(), rel, st)) continue;
      return is_whiteout(st) ? -1 : static_cast<int>(i);
    }
    return -1;
  }

  std::vector<UniqueFd> layers_;
};

void walk(int dirfd, const std::string& rel, const LowerView& lower, std::vector<PathChange>& out) {
  for (auto& n : names_in(dirfd, rel.empty() ? "/" : rel)) {
    std::string child = rel.empty() ? n : rel + "/" + n;
    struct stat st;
    if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // removed meanwhile
    if (is_whiteout(st)) {
      out.push_back({'D', "/" + child});
      continue;
    }
    bool below = lower.exists(child);
    out.push_back({below ? 'C' : 'A', "/" + child});
    if (!S_ISDIR(st.st_mode)) continue;
    UniqueFd d(::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d) throw_errno("open", "/" + child);
    char v = 0;
    if (below && ::fgetxattr(d.get(), "trusted.overlay.opaque", &v, 1) == 1 && v == 'y') {
      auto mine = names_in(d.get(), child);
      std::set<std::string> kept(mine.begin(), mine.end());
      for (auto& gone : lower.children(child))
        if (!kept.count(gone)) out.push_back({'D', "/" + child + "/" + gone});
    }
    walk(d.get(), child, lower, out);
  }
}

}  // namespace

std::vector<PathChange> upper_changes(const fs::path& upper, const std::vector<fs::path>& lower_dirs) {
  UniqueFd root(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno("open", upper.string());
  LowerView lower(lower_dirs);
  std::vector<PathChange> out;
  walk(root.get(), "", lower, out);
  std::sort(out.begin(), out.end(), [](const PathChange& a, const PathChange& b) { return a.path < b.path; });
  return out;
}

}  // namespace berth::engine
