#pragma once
// Mounting an image's layers with overlayfs without hitting the one-page mount-option limit.
#include <filesystem>
#include <vector>

namespace berth::engine {

// Mounts overlayfs at `target`: `lower` given bottom -> top (as ImageStore::layer_dirs returns
// them); `upper`/`work` empty for a read-only mount (needs >= 2 lowers or the kernel refuses).
// Uses the new mount API with one fsconfig("lowerdir+") call per layer (Linux >= 6.8), which has
// no total length limit, so images with hundreds of layers mount; on older kernels falls back to
// mount(2) with overlay_lowerdir(). `flags`: MS_RDONLY etc. for the mount. Throws SysError naming
// the call. The caller owns the resulting mount (umount2(target)).
void mount_overlay(const std::vector<std::filesystem::path>& lower, const std::filesystem::path& upper,
                   const std::filesystem::path& work, const std::filesystem::path& target, unsigned long flags = 0);

}  // namespace berth::engine
