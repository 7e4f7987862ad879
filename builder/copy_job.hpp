#pragma once
// What a COPY/ADD step holds between planning (before the cache lookup: its digest is part of
// the key) and writing (on a miss): the open source root and whatever keeps it alive (a stage's
// mounted rootfs, a directory of downloads or heredoc files), the request and the plan.
#include <memory>
#include <vector>

#include "base/unique_fd.hpp"
#include "builder/copy_files.hpp"
#include "builder/image_rootfs.hpp"
#include "builder/temp_dir.hpp"

namespace berth::builder {

struct CopyJob {
  std::unique_ptr<MountedRootfs> from_root;
  std::unique_ptr<TempDir> temp;
  UniqueFd source_fd;
  SourceRoot src;
  CopyRequest req;
  std::vector<CopyItem> items;
  std::vector<std::filesystem::path> base_layers;  // the image the step builds on
  ImagePathStat image_stat;
};

}  // namespace berth::builder
