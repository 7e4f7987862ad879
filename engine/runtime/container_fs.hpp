#pragma once
// A container's root filesystem from the host, for `container export` and `cp`: never through a
// path under the container's control, always as a directory descriptor below which lookups are
// confined (safe_path.hpp: openat2 RESOLVE_IN_ROOT).
#include "base/unique_fd.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::engine {

// Running (or paused): /proc/<pid>/root, the container's own view with its volumes and mounts.
// Stopped: a detached overlay mount (nothing mounted anywhere; gone with the descriptor) of its
// image layers and upper dir, so writes land in the upper dir as the container's own would.
UniqueFd open_container_root(const ContainerInfo& c);

// The flattened rootfs (image layers + the container's changes, no volumes, no /proc or /dev
// mounts), as a tar written to `fd`: a read-only overlay of the layers with the upper dir as the
// top one, for running and stopped containers alike.
void export_container(const ContainerInfo& c, int fd);

}  // namespace berth::engine
