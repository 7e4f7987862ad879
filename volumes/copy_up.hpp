#pragma once
// Docker's copy-up: a new, empty volume mounted over a path the image has content at is first
// filled with that content (mode, owner, times, symlinks, hard files), so `VOLUME /data` or a
// named volume over /etc/app starts with what the image put there.
#include <filesystem>
#include <string>
#include <vector>

namespace berth::volumes {

// Copies the merged view of the image layers (bottom -> top, unpacked in overlay format:
// whiteouts are 0/0 character devices, opaque directories carry trusted.overlay.opaque=y) at the
// absolute container path `path` into the existing directory `dest`; the directory's own mode and
// owner are copied too. Returns false (and copies nothing) when the image has no directory there.
bool copy_image_path(const std::vector<std::filesystem::path>& layer_dirs, const std::string& path,
                     const std::filesystem::path& dest);

// True when `dir` has no entries (or does not exist).
bool dir_is_empty(const std::filesystem::path& dir);

}  // namespace berth::volumes
