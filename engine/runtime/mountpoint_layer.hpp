#pragma once
// The files every container gets bind-mounted over (/etc/hosts, /etc/hostname, /etc/resolv.conf)
// as a small read-only layer stacked on top of an image's layers, made once and shared by all
// the containers of that image: a container's start then creates nothing in its upper directory
// for them (each an inode on disk, and a copy-up of /etc), as Docker's per-container init
// layer would.
#include <filesystem>
#include <optional>
#include <vector>

#include "base/paths.hpp"

namespace berth::engine {

// <root>/mountpoints/<key of the layers>; nullopt when the image's /etc is not a plain
// directory (a symlink, say): those containers get their mount points the ordinary way.
std::optional<std::filesystem::path> mountpoint_layer(const StatePaths& paths,
                                                      const std::vector<std::filesystem::path>& lower_dirs);

}  // namespace berth::engine
