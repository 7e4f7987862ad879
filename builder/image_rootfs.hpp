#pragma once
// An image's files as a build step reads them: its layers mounted read-only (COPY --from, RUN
// --mount=from), or looked up layer by layer without a mount for single paths (is the COPY
// destination a directory, the metadata of existing parent directories, /etc/passwd for
// --chown).
#include <sys/stat.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace berth::builder {

// The merged view, unmounted and its directory removed when the object goes.
class MountedRootfs {
 public:
  // `layers` bottom -> top; `scratch_dir` a parent for the mount point (on the state root).
  MountedRootfs(const std::vector<std::filesystem::path>& layers, const std::filesystem::path& scratch_dir);
  ~MountedRootfs();
  MountedRootfs(const MountedRootfs&) = delete;
  MountedRootfs& operator=(const MountedRootfs&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path dir_;   // what we created (removed at the end)
  std::filesystem::path path_;  // the root to read
  bool mounted_ = false;
};

// `path` relative to the image root, looked up from the top layer down (a whiteout or an
// opaque directory above hides what is below, as overlayfs does). Symlinks are not followed.
std::optional<struct stat> stat_in_layers(const std::vector<std::filesystem::path>& layers, const std::string& path);
std::optional<std::string> read_in_layers(const std::vector<std::filesystem::path>& layers, const std::string& path);

// An absolute path with the image's symlinks in its directories resolved, inside the image (as
// COPY writes through them: /lib/x -> /usr/lib/x on a merged-/usr image, never a real /lib
// that would hide the link). The last component is resolved too when `follow_last`.
std::string resolve_in_layers(const std::vector<std::filesystem::path>& layers, const std::string& path, bool follow_last);

}  // namespace berth::builder
