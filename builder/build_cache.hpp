#pragma once
// The build cache: each step's result (an image in the store) under a key made of everything
// that decides the result: the parent image, the instruction after substitution, the build args
// in effect and, for COPY/ADD, the digest of what is copied. Kept under <root>/build-cache/:
//   steps/<key hex>          the image id the step produced (an entry whose image was removed,
//                            by `image prune` say, is a miss)
//   images/<image id hex>    marks an image as a build step's (intermediate, hidden by `image ls`
//                            unless -a, as Docker hides its intermediate images)
//   mounts/<id hex>/         RUN --mount=type=cache directories, kept between builds
//   mounts/<id hex>.lock     their sharing= locks (flock)
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/paths.hpp"

namespace berth::builder {

class BuildCache {
 public:
  explicit BuildCache(const StatePaths& paths);

  // The key of a step: the parts in order, each length-prefixed so that no two lists collide.
  static std::string key(const std::vector<std::string>& parts);

  std::optional<std::string> get(const std::string& key) const;
  void put(const std::string& key, const std::string& image_id);
  // True for an image some build step produced.
  bool intermediate(const std::string& image_id) const;
  // The directory of a cache mount `id` (created on first use: `*created` says so).
  std::filesystem::path mount_dir(const std::string& id, bool* created = nullptr);

 private:
  std::filesystem::path dir_;
};

}  // namespace berth::builder
