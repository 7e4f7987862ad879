// `image import`: a flat rootfs tarball becomes a one-layer OCI image.
#include <fcntl.h>
#include <unistd.h>

#include "base/error.hpp"
#include "base/rollback.hpp"
#include "engine/image/image_changes.hpp"
#include "engine/image/image_store.hpp"
#include "engine/image/store_internal.hpp"

namespace berth::engine {

using nlohmann::json;

Image ImageStore::import_rootfs(int fd, std::string_view ref, const ImportOptions& opts) {
  ImageReference r = parse_reference(ref);
  if (!r.digest.empty()) throw UserError("image import: cannot name an image by digest: " + std::string(ref));
  ImageConfig cfg;
  for (auto& ch : opts.changes) apply_change(cfg, ch);

  auto w = blob_writer();
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", "image import input");
    }
    if (n == 0) break;
    w.write(buf.data(), static_cast<size_t>(n));
  }
  if (w.size() == 0) throw UserError("image import: the input is empty");
  std::uint64_t blob_size = w.size();
  std::string digest = w.commit();

  Rollback undo;
  // On failure the blob goes again unless an image already uses it.
  undo.add([this, digest] { store::remove_blob_if_unused(dir_, digest); });
  std::string comp = store::sniff_compression(blob_path(digest));
  std::string diff_id = digest;
  if (!comp.empty()) {
    UniqueFd in(::open(blob_path(digest).c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) throw_errno("open", blob_path(digest).string());
    Sha256 h;
    store::decompress(in.get(), [&](const void* p, size_t n) { h.update(p, n); });
    diff_id = h.digest();
  }
  cfg.diff_ids = {diff_id};
  cfg.created = store::rfc3339_now();
  cfg.architecture = "amd64";
  cfg.os = "linux";
  std::string config_bytes = serialize_image_config(cfg);
  std::string layer_type = std::string(store::kOciLayer) + (comp.empty() ? "" : "+" + comp);
  json manifest{{"schemaVersion", 2},
                {"mediaType", store::kOciManifest},
                {"config", {{"mediaType", store::kOciConfig}, {"digest", sha256_digest(config_bytes)}, {"size", config_bytes.size()}}},
                {"layers", json::array({{{"mediaType", layer_type}, {"digest", digest}, {"size", blob_size}}})}};
  if (!opts.message.empty()) manifest["annotations"] = {{"org.opencontainers.image.description", opts.message}};
  Image im = commit_image(manifest.dump(), config_bytes, {r.str()});
  undo.dismiss();
  return im;
}

}  // namespace berth::engine
