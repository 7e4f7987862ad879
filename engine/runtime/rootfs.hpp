#pragma once
// The container's filesystem, built by the init inside its new mount namespace (so nothing of
// it is visible on the host and all of it vanishes with the container): overlay rootfs, /proc,
// /dev (tmpfs + standard nodes + pts + shm + mqueue), /sys, the berth-managed /etc files and the
// user's mounts, then pivot_root, then Docker's masked and read-only paths.
#include <string>

#include "engine/runtime/init_spec.hpp"

namespace berth::engine {

// Everything up to and including pivot_root; afterwards "/" is the container's root and the
// working directory exists. `console`: the pty slave path bound to /dev/console ("" for none).
void prepare_rootfs(const InitSpec& spec, const std::string& console);
// After pivot (and after sysctls were written): masks and read-only remounts.
void apply_masked_paths(const InitSpec& spec);
// After everything that writes into the rootfs: makes "/" read-only when asked.
void finish_rootfs(const InitSpec& spec);

}  // namespace berth::engine
