#pragma once
// Mounting an image's layers with overlayfs without hitting the one-page mount-option limit.
#include <filesystem>
#include <vector>

#include "base/unique_fd.hpp"

namespace berth::engine {

// Mounts overlayfs at `target`: `lower` given bottom -> top (as ImageStore::layer_dirs returns
// them); `upper`/`work` empty for a read-only mount (needs >= 2 lowers or the kernel refuses).
// Where overlayfs takes "lowerdir+" through the new mount API (Linux >= 6.8, probed once per
// process) one fsconfig() call per layer: no total length limit. Older kernels (Debian 11's 5.10,
// 12's 6.1): mount(2) with one page of options, the layers named by their paths, the store's short
// links, or /proc/self/fd/N when even those do not fit (~190 layers). BERTH_OVERLAY_MOUNT=mount2
// (or =fsconfig) in the environment forces a path (tests). `flags`: MS_RDONLY etc. for the mount.
// Throws SysError naming the call, UserError when the layers cannot fit one mount(2).
// The caller owns the resulting mount (umount2(target)). `volatile_upper`: overlayfs's "volatile"
// option (Linux >= 5.10): no sync of the upper directory's whole filesystem when the overlay is
// unmounted (or synced), for an upper dir that need not survive a crash and is never mounted
// again (a build step's: it is read back as a layer at once).
void mount_overlay(const std::vector<std::filesystem::path>& lower, const std::filesystem::path& upper,
                   const std::filesystem::path& work, const std::filesystem::path& target, unsigned long flags = 0,
                   bool volatile_upper = false);

// Whether overlayfs takes "lowerdir+" through the new mount API (what mount_overlay uses unless
// BERTH_OVERLAY_MOUNT says otherwise); probed once per process without mounting anything.
bool overlay_takes_lowerdir_plus();

// The same overlay as a detached mount (fsmount): a descriptor of its root that no mount
// namespace shows, gone with the last descriptor, so nothing is left mounted whatever happens.
// Layers go one "lowerdir+" each where the kernel takes it, else as one "lowerdir" (one page).
UniqueFd open_overlay(const std::vector<std::filesystem::path>& lower, const std::filesystem::path& upper,
                      const std::filesystem::path& work, unsigned long flags = 0);

}  // namespace berth::engine
