// A new image from a base image and one more layer (or none): `container commit` and the steps
// of a build. The layer blob is already stored; this writes config and manifest and records the
// image through commit_image (which unpacks the layer like any other).
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/rollback.hpp"
#include "engine/image/image_changes.hpp"
#include "engine/image/image_store.hpp"
#include "engine/image/layer_from_upper.hpp"
#include "engine/image/store_internal.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

// The base's history, one entry per layer when it recorded none (or a count that does not
// match its layers: Docker's own history then prints what it can, and so do we).
std::vector<HistoryEntry> base_history(const ImageConfig& c) {
  std::size_t layers = 0;
  for (auto& h : c.history) layers += h.empty_layer ? 0 : 1;
  if (!c.history.empty() && layers == c.diff_ids.size()) return c.history;
  std::vector<HistoryEntry> out;
  for (std::size_t i = 0; i < c.diff_ids.size(); ++i) out.push_back(HistoryEntry{c.created, "", "", "", false});
  return out;
}

}  // namespace

Image ImageStore::add_layer_image(const std::optional<Image>& base, const std::optional<LayerBlob>& layer,
                                  const NewImageOptions& opts) {
  Rollback undo;
  if (layer) undo.add([this, d = layer->digest] { store::remove_blob_if_unused(dir_, d); });
  for (auto& r : opts.refs)
    if (!parse_reference(r).digest.empty()) throw UserError("cannot name a new image by digest: " + r);

  ImageConfig base_cfg;
  if (base) base_cfg = config(*base);
  ImageConfig cfg = opts.config ? *opts.config : base_cfg;
  for (auto& ch : opts.changes) apply_change(cfg, ch);
  cfg.diff_ids = base_cfg.diff_ids;
  cfg.history = base ? base_history(base_cfg) : std::vector<HistoryEntry>{};
  cfg.created = store::rfc3339_now();
  if (!opts.history.author.empty()) cfg.author = opts.history.author;
  if (cfg.architecture.empty()) cfg.architecture = "amd64";
  if (cfg.os.empty()) cfg.os = "linux";
  HistoryEntry h = opts.history;
  h.created = cfg.created;
  h.empty_layer = !layer;
  cfg.history.push_back(h);

  json layers = json::array();
  if (base)
    for (std::size_t i = 0; i < base->layer_digests.size(); ++i)
      layers.push_back({{"mediaType", base->layer_media_types[i].empty() ? std::string(store::kOciLayer) : base->layer_media_types[i]},
                        {"digest", base->layer_digests[i]},
                        {"size", std::filesystem::file_size(blob_path(base->layer_digests[i]))}});
  if (layer) {
    cfg.diff_ids.push_back(layer->diff_id);
    layers.push_back({{"mediaType", layer->media_type}, {"digest", layer->digest}, {"size", layer->size}});
  }
  std::string config_bytes = serialize_image_config(cfg);
  json manifest{{"schemaVersion", 2},
                {"mediaType", store::kOciManifest},
                {"config", {{"mediaType", store::kOciConfig}, {"digest", sha256_digest(config_bytes)}, {"size", config_bytes.size()}}},
                {"layers", layers}};
  Image im = commit_image(manifest.dump(), config_bytes, opts.refs);
  undo.dismiss();
  return im;
}

}  // namespace berth::engine
