#include "engine/runtime/safe_path.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cerrno>
#include <optional>
#include <vector>

#include "base/error.hpp"

namespace berth::engine {
namespace {

int openat2_in_root(int root_fd, const std::string& rel, int flags, mode_t mode = 0) {
  struct open_how how {};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.mode = mode;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    long fd = ::syscall(SYS_openat2, root_fd, rel.empty() ? "." : rel.c_str(), &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) return static_cast<int>(fd);
  }
}

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : path + "/") {
    if (c == '/') {
      if (!cur.empty() && cur != ".") out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

}  // namespace

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

namespace {

// The target of `name` in `parent` when it is a symbolic link (dangling, since resolving it
// failed), else nullopt.
std::optional<std::string> dangling_link(int parent, const std::string& name) {
  struct stat st;
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode)) return std::nullopt;
  std::string target(PATH_MAX, '\0');
  ssize_t n = ::readlinkat(parent, name.c_str(), target.data(), target.size());
  if (n <= 0) return std::nullopt;
  target.resize(static_cast<std::size_t>(n));
  return target;
}

UniqueFd open_or_create(int root_fd, const std::string& path, Create create, int links_left) {
  auto parts = components(path);
  if (create == Create::No || parts.empty()) {
    int fd = openat2_in_root(root_fd, path.empty() || path == "/" ? "." : path.substr(path[0] == '/' ? 1 : 0), O_PATH);
    if (fd < 0) throw_errno("openat2", path);
    return UniqueFd(fd);
  }
  std::string rel;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    bool last = i + 1 == parts.size();
    std::string next = rel.empty() ? parts[i] : rel + "/" + parts[i];
    int fd = openat2_in_root(root_fd, next, O_PATH);
    if (fd < 0 && errno == ENOENT) {
      UniqueFd parent(openat2_in_root(root_fd, rel, O_PATH | O_DIRECTORY));
      if (!parent) throw_errno("openat2", "/" + rel);
      if (auto target = dangling_link(parent.get(), parts[i])) {
        // A symlink to a missing path: create that path, inside the root, as runc does (the
        // link's "/" and ".." are the container's).
        if (links_left == 0) throw_sys(ELOOP, "openat2", "/" + next);
        std::string rest = (*target)[0] == '/' ? *target : "/" + rel + "/" + *target;
        for (std::size_t j = i + 1; j < parts.size(); ++j) rest += "/" + parts[j];
        return open_or_create(root_fd, rest, create, links_left - 1);
      }
      if (last && create == Create::File) {
        int f = ::openat(parent.get(), parts[i].c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f < 0 && errno != EEXIST) throw_errno("create", "/" + next);
        if (f >= 0) ::close(f);
      } else if (::mkdirat(parent.get(), parts[i].c_str(), 0755) != 0 && errno != EEXIST) {
        throw_errno("mkdir", "/" + next);
      }
      fd = openat2_in_root(root_fd, next, O_PATH);
    }
    if (fd < 0) throw_errno("openat2", "/" + next);
    if (last) return UniqueFd(fd);
    ::close(fd);
    rel = next;
  }
  throw_sys(EINVAL, "openat2", path);
}

}  // namespace

UniqueFd open_in_root(int root_fd, const std::string& path, Create create) {
  return open_or_create(root_fd, path, create, 40);  // the kernel's own limit of links in a path
}

}  // namespace berth::engine
