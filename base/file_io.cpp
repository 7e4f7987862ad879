#include "base/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace berth {

std::optional<std::string> try_read_file(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("open", path.string());
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", path.string());
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  auto s = try_read_file(path);
  if (!s) throw_sys(ENOENT, "open", path.string());
  return *s;
}

void write_file_atomic(const std::filesystem::path& path, std::string_view data, unsigned mode, Sync sync) {
  static std::atomic<unsigned> counter{0};
  auto tmp = path;
  tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) throw_errno("open", tmp.string());
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::unlink(tmp.c_str());
      throw_sys(err, "write", tmp.string());
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (sync == Sync::Started) start_writeback(fd.get(), 0, static_cast<long long>(data.size()));
  if (::fchmod(fd.get(), mode) != 0 || (sync == Sync::Yes && ::fsync(fd.get()) != 0)) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw_sys(err, "fsync", tmp.string());
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw_sys(err, "rename", tmp.string() + " to " + path.string());
  }
}

void start_writeback(int fd, long long offset, long long length) {
  if (length > 0) (void)::sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
}

}  // namespace berth
