#include "cli/watch_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "base/error.hpp"
#include "engine/runtime/container_copy.hpp"
#include "engine/runtime/safe_path.hpp"

namespace berth::cli {

namespace fs = std::filesystem;

namespace {

// Removes `name` under the directory `dir` (a descriptor inside a container's root), a directory
// with all it holds; never following a symlink.
void remove_at(int dir, const std::string& name) {
  if (::unlinkat(dir, name.c_str(), 0) == 0 || errno == ENOENT) return;
  if (errno != EISDIR && errno != EPERM) throw_errno("unlink", name);
  UniqueFd sub(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub) throw_errno("open", name);
  std::vector<std::string> names;
  {
    UniqueFd again(::dup(sub.get()));
    DIR* d = ::fdopendir(again.release());
    if (!d) throw_errno("opendir", name);
    while (dirent* e = ::readdir(d))
      if (std::string n = e->d_name; n != "." && n != "..") names.push_back(n);
    ::closedir(d);
  }
  for (const auto& n : names) remove_at(sub.get(), n);
  if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) throw_errno("rmdir", name);
}

}  // namespace

void sync_path(int root, const fs::path& host, const std::string& dest, const std::string& what) {
  struct stat st;
  fs::path d(dest);
  if (::lstat(host.c_str(), &st) != 0) {
    if (errno != ENOENT) throw_errno("stat", host.string());
    UniqueFd parent;
    try {
      parent = engine::open_in_root(root, d.parent_path().string());
    } catch (const std::exception&) {
      return;  // its directory is gone already
    }
    UniqueFd dirfd(::openat(parent.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dirfd) remove_at(dirfd.get(), d.filename().string());
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    engine::open_in_root(root, dest, engine::Create::Dir);
    return;
  }
  engine::open_in_root(root, d.parent_path().string(), engine::Create::Dir);
  UniqueFd host_root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!host_root) throw_errno("open", "/");
  engine::copy_path({host_root.get(), host.string(), "host"}, {root, dest, what}, {});
}

Watcher::Watcher() : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
  if (!fd_) throw_errno("inotify_init1");
}

void Watcher::add(const fs::path& p, std::set<fs::path>* found) {
  constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                             IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
  bool dir = fs::is_directory(p) && !fs::is_symlink(p);
  fs::path watched = dir || fs::exists(p) ? p : p.parent_path();  // a file made later: its directory
  int wd = ::inotify_add_watch(fd_.get(), watched.c_str(), kMask);
  if (wd < 0) throw_errno("inotify_add_watch", watched.string());
  dirs_[wd] = watched;
  if (!dir) return;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(p, ec)) {
    if (found) found->insert(e.path());
    if (e.is_directory(ec) && !e.is_symlink(ec)) add(e.path(), found);
  }
}

void Watcher::read(std::set<fs::path>& changed) {
  alignas(inotify_event) char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n <= 0) return;
    for (char* p = buf; p < buf + n;) {
      auto* e = reinterpret_cast<inotify_event*>(p);
      p += sizeof(inotify_event) + e->len;
      auto it = dirs_.find(e->wd);
      if (it == dirs_.end()) continue;
      if (e->mask & IN_IGNORED) {
        dirs_.erase(it);
        continue;
      }
      fs::path path = e->len ? it->second / e->name : it->second;
      changed.insert(path);
      if ((e->mask & (IN_CREATE | IN_MOVED_TO)) && (e->mask & IN_ISDIR)) add(path, &changed);
    }
  }
}

}  // namespace berth::cli
