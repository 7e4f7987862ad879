#pragma once
// What a RUN's --mount list holds while its step runs (StageBuilder::run_mounts,
// stage_run_mounts.cpp): the mounted roots of other stages and images, the throw-away writable
// views of read-write binds, the locks of cache mounts and the fresh directories of `private`
// caches that were busy. All of it goes when the step ends, whatever its result.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"
#include "builder/image_rootfs.hpp"
#include "builder/temp_dir.hpp"

namespace berth::builder {

// `source` seen through an overlay whose upper directory is thrown away: a RUN may write to a
// read-write bind mount, and nothing it writes reaches the build context (as BuildKit).
class ScratchOverlay {
 public:
  ScratchOverlay(const std::filesystem::path& source, const std::filesystem::path& scratch_dir);
  ~ScratchOverlay();
  ScratchOverlay(const ScratchOverlay&) = delete;
  ScratchOverlay& operator=(const ScratchOverlay&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  TempDir dir_;  // upper/, work/, view/ (or a copy of a single file)
  std::filesystem::path path_;
  bool mounted_ = false;
};

struct RunMountHold {
  std::vector<std::unique_ptr<MountedRootfs>> roots;
  std::vector<std::unique_ptr<ScratchOverlay>> overlays;
  std::vector<std::unique_ptr<TempDir>> dirs;
  std::vector<UniqueFd> locks;
  std::vector<std::string> targets;  // the mount points: not part of the step's layer
};

}  // namespace berth::builder
