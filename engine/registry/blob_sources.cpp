// The blob -> repositories cache for cross-repository mounts.
#include "engine/registry/blob_sources.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/file_io.hpp"
#include "base/file_lock.hpp"
#include "base/log.hpp"

namespace berth::engine::registry {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxSourcesPerBlob = 8;

fs::path file_of(const fs::path& root) { return root / "registry" / "blob-sources.json"; }

json read_sources(const fs::path& root) {
  auto text = try_read_file(file_of(root));
  if (!text) return json::object();
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    log::debug("{}: unreadable, starting afresh", file_of(root).string());
    return json::object();
  }
  return j;
}

}  // namespace

void record_blob_sources(const fs::path& root, const std::string& registry, const std::string& repository,
                         const std::vector<std::string>& digests) {
  if (root.empty() || digests.empty()) return;
  try {
    fs::create_directories(root / "registry");
    auto lock = FileLock::acquire(root / "registry" / "lock");
    json j = read_sources(root);
    std::string where = registry + "/" + repository;
    for (auto& d : digests) {
      json& list = j[d];
      if (!list.is_array()) list = json::array();
      std::vector<std::string> v;
      v.push_back(where);
      for (auto& e : list)
        if (e.is_string() && e.get<std::string>() != where && v.size() < kMaxSourcesPerBlob) v.push_back(e.get<std::string>());
      list = v;
    }
    write_file_atomic(file_of(root), j.dump() + "\n");
  } catch (const std::exception& e) {  // a cache: never fail a pull or push for it
    log::warn("could not record blob sources: {}", e.what());
  }
}

std::vector<std::string> blob_sources(const fs::path& root, const std::string& registry, const std::string& digest,
                                      const std::string& except_repo) {
  std::vector<std::string> out;
  if (root.empty()) return out;
  json j = read_sources(root);
  if (!j.contains(digest) || !j[digest].is_array()) return out;
  std::string prefix = registry + "/";
  for (auto& e : j[digest]) {
    if (!e.is_string()) continue;
    std::string s = e.get<std::string>();
    if (!s.starts_with(prefix)) continue;
    std::string repo = s.substr(prefix.size());
    if (repo != except_repo && std::find(out.begin(), out.end(), repo) == out.end()) out.push_back(repo);
  }
  return out;
}

}  // namespace berth::engine::registry
