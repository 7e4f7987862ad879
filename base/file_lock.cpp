#include "base/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "base/error.hpp"

namespace berth {


static UniqueFd open_lock_file(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) throw_errno("open lock", path.string());
  return fd;
}

static bool do_flock(int fd, FileLock::Mode mode, bool wait, const std::filesystem::path& path) {
  int op = (mode == FileLock::Mode::Exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
  while (::flock(fd, op) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK && !wait) return false;
    throw_errno("flock", path.string());
  }
  return true;
}

FileLock FileLock::acquire(const std::filesystem::path& path, Mode mode) {
  UniqueFd fd = open_lock_file(path);
  do_flock(fd.get(), mode, true, path);
  return FileLock(std::move(fd));
}

std::optional<FileLock> FileLock::try_acquire(const std::filesystem::path& path, Mode mode) {
  UniqueFd fd = open_lock_file(path);
  if (!do_flock(fd.get(), mode, false, path)) return std::nullopt;
  return FileLock(std::move(fd));
}

}  // namespace berth
