#include "base/daemon_cgroup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <linux/magic.h>

namespace berth {
namespace {

long fs_type(const char* path) {
  struct statfs sf;
  return ::statfs(path, &sf) == 0 ? static_cast<long>(sf.f_type) : 0;
}

bool make_dir(const std::string& d) { return ::mkdir(d.c_str(), 0755) == 0 || errno == EEXIST; }

}  // namespace

std::vector<std::string> daemon_cgroup_dirs() {
  std::vector<std::string> roots;
  if (fs_type("/sys/fs/cgroup") == CGROUP2_SUPER_MAGIC)
    roots.emplace_back("/sys/fs/cgroup");
  else
    for (const char* r : {"/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"})
      if (long t = fs_type(r); t == CGROUP_SUPER_MAGIC || t == CGROUP2_SUPER_MAGIC) roots.emplace_back(r);
  for (auto& r : roots) r += "/berth/supervisors";
  return roots;
}

std::vector<std::string> daemon_cgroup_procs() {
  std::vector<std::string> out;
  for (const auto& d : daemon_cgroup_dirs())
    if (make_dir(d.substr(0, d.rfind('/'))) && make_dir(d)) out.push_back(d + "/cgroup.procs");
  return out;
}

void join_daemon_cgroup(const std::vector<std::string>& procs) noexcept {
  for (const auto& f : procs) {
    int fd = ::open(f.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) continue;
    [[maybe_unused]] auto n = ::write(fd, "0", 1);
    ::close(fd);
  }
}

}  // namespace berth
