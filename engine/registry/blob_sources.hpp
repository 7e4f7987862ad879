#pragma once
// Which repositories a blob is known to be in (learned from pulls and pushes), so that a push can
// ask the registry to mount the blob from there instead of uploading it again (cross-repository
// blob mount). Kept in <root>/registry/blob-sources.json, a cache: losing it costs only uploads.
#include <filesystem>
#include <string>
#include <vector>

namespace berth::engine::registry {

// Records that `digests` are in `registry`/`repository`.
void record_blob_sources(const std::filesystem::path& state_root, const std::string& registry,
                         const std::string& repository, const std::vector<std::string>& digests);

// Repositories of `registry` known to hold `digest` (most recent first), excluding `except_repo`.
std::vector<std::string> blob_sources(const std::filesystem::path& state_root, const std::string& registry,
                                      const std::string& digest, const std::string& except_repo);

}  // namespace berth::engine::registry
