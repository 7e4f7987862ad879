#pragma once
// Paths inside a container's rootfs are resolved as file descriptors with
// openat2(RESOLVE_IN_ROOT), so a hostile image's symlinks ("/etc -> /host/etc", "../../..")
// cannot make a mount land outside the rootfs (crun's safe_openat). Mounts then target
// "/proc/self/fd/<n>" or use the fd with move_mount.
#include <string>

#include "base/unique_fd.hpp"

namespace berth::engine {

enum class Create { No, Dir, File };

// Opens `path` (absolute or relative, as seen inside the container) under `root_fd`, as an
// O_PATH descriptor. With Create::Dir / ::File, missing directories on the way are created
// (0755) and the last component becomes a directory or an empty file (0644). Throws SysError.
UniqueFd open_in_root(int root_fd, const std::string& path, Create create = Create::No);

// "/proc/self/fd/<fd>", the magic-link form mount(2) accepts as a target.
std::string fd_path(int fd);

}  // namespace berth::engine
