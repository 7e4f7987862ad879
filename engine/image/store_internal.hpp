#pragma once
// Internals shared by the image store's files (not for use outside engine/image/).
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace berth::engine::store {

namespace fs = std::filesystem;

inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

// "sha256:<64 hex>" -> "<hex>"; throws UserError("invalid digest ...") otherwise (a digest is
// used as a file name, so it is checked strictly).
std::string digest_hex(std::string_view digest);
bool is_digest(std::string_view s);

// A fresh, unique directory under dir/tmp (removed by the caller).
fs::path make_temp_dir(const fs::path& images_dir, std::string_view purpose);
std::string rfc3339_now();

// refs.json: fully-qualified reference -> image id.
std::map<std::string, std::string> read_refs(const fs::path& images_dir);
void write_refs(const fs::path& images_dir, const std::map<std::string, std::string>& refs);

// Compression of a blob from its first bytes: "gzip", "zstd", "" (plain).
std::string sniff_compression(const fs::path& blob);

// Layer size recorded in layers/<chainhex>/layer.json (0 if missing).
std::int64_t layer_size(const fs::path& images_dir, std::string_view chain_id);

// Removes blob `digest` unless an image of `images_dir`'s store names it as a layer (rollback of
// a failed import or commit).
void remove_blob_if_unused(const fs::path& images_dir, std::string_view digest);

// Image ids used by containers: <root>/containers/*/container.json "image_id" -> count.
std::map<std::string, int> container_image_use(const fs::path& state_root);

}  // namespace berth::engine::store

namespace berth::engine::store {
// Streams the decompressed content of `in_fd` (gzip/zstd/xz/plain, detected) to `sink`.
void decompress(int in_fd, const std::function<void(const void*, std::size_t)>& sink);
}  // namespace berth::engine::store
