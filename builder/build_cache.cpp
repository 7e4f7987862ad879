#include "builder/build_cache.hpp"

#include "base/file_io.hpp"
#include "base/sha256.hpp"

namespace berth::builder {

BuildCache::BuildCache(const StatePaths& paths) : dir_(paths.root / "build-cache") {}

std::string BuildCache::key(const std::vector<std::string>& parts) {
  Sha256 h;
  for (const auto& p : parts) {
    h.update(std::to_string(p.size()) + ":");
    h.update(p);
  }
  return h.hex();
}

std::optional<std::string> BuildCache::get(const std::string& key) const {
  auto v = try_read_file(dir_ / "steps" / key);
  if (v && v->starts_with("sha256:")) return v;
  return std::nullopt;
}

void BuildCache::put(const std::string& key, const std::string& image_id) {
  std::filesystem::create_directories(dir_ / "steps");
  // Losing an entry in a crash only costs a rebuild of that step.
  write_file_atomic(dir_ / "steps" / key, image_id, 0644, Sync::No);
  std::filesystem::create_directories(dir_ / "images");
  write_file_atomic(dir_ / "images" / image_id.substr(image_id.find(':') + 1), "", 0644, Sync::No);
}

bool BuildCache::intermediate(const std::string& image_id) const {
  std::error_code ec;
  return std::filesystem::exists(dir_ / "images" / image_id.substr(image_id.find(':') + 1), ec);
}

std::filesystem::path BuildCache::mount_dir(const std::string& id, bool* created) {
  auto d = dir_ / "mounts" / sha256_hex(id);
  bool made = std::filesystem::create_directories(d);
  if (created) *created = made;
  return d;
}

}  // namespace berth::builder
