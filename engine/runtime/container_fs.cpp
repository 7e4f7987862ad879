#include "engine/runtime/container_fs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include "base/error.hpp"
#include "engine/image/overlay_mount.hpp"
#include "engine/image/tree_tar.hpp"

namespace berth::engine {

UniqueFd open_container_root(const ContainerInfo& c) {
  if (c.running() && c.pid > 0) {
    std::string root = "/proc/" + std::to_string(c.pid) + "/root";
    UniqueFd fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw_errno("open", "root of container " + c.name + " (" + root + ")");
    return fd;
  }
  return with_context("container " + c.name, [&] {
    return open_overlay(c.spec.lower_dirs, c.dir / "upper", c.dir / "work");
  });
}

void export_container(const ContainerInfo& c, int fd) {
  std::vector<std::filesystem::path> layers = c.spec.lower_dirs;
  layers.push_back(c.dir / "upper");  // a lower here: read-only, and on top
  UniqueFd root = with_context("container " + c.name, [&] { return open_overlay(layers, {}, {}, MS_RDONLY); });
  TarWriter tar([fd, &c](const void* p, std::size_t n) {
    const char* b = static_cast<const char*>(p);
    while (n > 0) {
      ssize_t w = ::write(fd, b, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        throw_errno("write", "export of container " + c.name);
      }
      b += w;
      n -= static_cast<std::size_t>(w);
    }
  });
  tar.add(root.get(), ".", "", TreeTarOptions{}, "container " + c.name);
  tar.finish();
}

}  // namespace berth::engine
