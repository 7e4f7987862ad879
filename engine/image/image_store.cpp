// The store's records: image records, references, layers keyed by chain id; lookup, tag, remove.
#include "engine/image/image_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/file_lock.hpp"
#include "base/log.hpp"
#include "base/rollback.hpp"
#include "engine/image/layer_unpack.hpp"
#include "engine/image/store_internal.hpp"

namespace berth::engine {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Image image_from_record(const json& r, const fs::path& dir, const std::map<std::string, std::string>& refs) {
  Image im;
  im.id = r.at("id").get<std::string>();
  im.manifest_digest = r.value("manifest_digest", "");
  im.manifest_media_type = r.value("manifest_media_type", "");
  im.created = r.value("created", "");
  for (auto& l : r.at("layers")) {
    im.layer_digests.push_back(l.at("digest").get<std::string>());
    im.layer_media_types.push_back(l.value("media_type", ""));
    im.diff_ids.push_back(l.at("diff_id").get<std::string>());
    im.chain_ids.push_back(l.at("chain_id").get<std::string>());
    im.size += store::layer_size(dir, im.chain_ids.back());
  }
  for (auto& [ref, id] : refs)
    if (id == im.id) im.refs.push_back(ref);
  return im;
}

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

std::string chain_id(std::string_view parent_chain_id, std::string_view diff_id) {
  if (parent_chain_id.empty()) return std::string(diff_id);
  return sha256_digest(std::string(parent_chain_id) + " " + std::string(diff_id));
}

std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids) {
  std::vector<std::string> out;
  std::string parent;
  for (auto& d : diff_ids) {
    parent = chain_id(parent, d);
    out.push_back(parent);
  }
  return out;
}

ImageStore::ImageStore(const StatePaths& paths) : paths_(paths), dir_(paths.root / "images") {
  for (auto* sub : {"blobs/sha256", "layers", "l", "images", "tmp"}) fs::create_directories(dir_ / sub);
}

std::vector<Image> ImageStore::list() const {
  auto refs = store::read_refs(dir_);
  std::vector<Image> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir_ / "images", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() != ".json") continue;
    auto text = try_read_file(it->path());
    if (!text) continue;  // removed meanwhile
    auto j = json::parse(*text, nullptr, false);
    if (j.is_discarded()) {
      log::warn("image store: skipping corrupt record {}", it->path().string());
      continue;
    }
    out.push_back(image_from_record(j, dir_, refs));
  }
  std::sort(out.begin(), out.end(), [](const Image& a, const Image& b) {
    return a.created != b.created ? a.created > b.created : a.id < b.id;
  });
  return out;
}

std::optional<Image> ImageStore::find(std::string_view q) const {
  if (q.empty()) return std::nullopt;
  auto by_id = [&](std::string_view prefix) -> std::optional<Image> {
    if (prefix.size() == 64) {  // a full id names one record: no need to read every image's
      auto text = try_read_file(dir_ / "images" / (std::string(prefix) + ".json"));
      if (!text) return std::nullopt;
      auto j = json::parse(*text, nullptr, false);
      if (j.is_discarded()) return std::nullopt;
      return image_from_record(j, dir_, store::read_refs(dir_));
    }
    std::optional<Image> hit;
    for (auto& im : list())
      if (im.id.compare(7, prefix.size(), prefix) == 0) {
        if (hit) throw UserError("image id prefix \"" + std::string(prefix) + "\" is ambiguous");
        hit = im;
      }
    return hit;
  };
  if (q.starts_with("sha256:")) return is_hex(q.substr(7)) && q.size() > 7 ? by_id(q.substr(7)) : std::nullopt;
  std::optional<ImageReference> ref;
  try {
    ref = parse_reference(q);
  } catch (const UserError&) {
  }
  if (ref) {
    auto refs = store::read_refs(dir_);
    if (!ref->digest.empty()) {
      // Pulled by this digest (an index's, which no stored manifest has): the ref records it.
      if (auto it = refs.find(ref->str()); it != refs.end()) return by_id(std::string_view(it->second).substr(7));
      for (auto& im : list())
        if (im.manifest_digest == ref->digest || im.id == ref->digest) return im;
    } else if (auto it = refs.find(ref->str()); it != refs.end()) {
      return by_id(std::string_view(it->second).substr(7));
    }
  }
  if (q.size() >= 4 && q.size() <= 64 && is_hex(q)) return by_id(q);
  return std::nullopt;
}

Image ImageStore::get(std::string_view q) const {
  if (auto im = find(q)) return *im;
  bool hexy = q.starts_with("sha256:") || (q.size() >= 4 && is_hex(q));
  if (!hexy) parse_reference(q);  // an invalid reference says why
  throw UserError("image not found: " + std::string(q) + " (see 'berth image ls'; load, import or pull it first)");
}

std::vector<ImageUsage> ImageStore::usage() const {
  auto images = list();
  auto used = store::container_image_use(paths_.root);
  std::map<std::string, int> chain_users;
  for (auto& im : images)
    for (auto& c : std::set<std::string>(im.chain_ids.begin(), im.chain_ids.end())) ++chain_users[c];
  std::vector<ImageUsage> out;
  for (auto& im : images) {
    ImageUsage u{im};
    for (auto& c : std::set<std::string>(im.chain_ids.begin(), im.chain_ids.end())) {
      auto sz = store::layer_size(dir_, c);
      (chain_users[c] > 1 ? u.shared : u.unique) += sz;
    }
    if (auto it = used.find(im.id); it != used.end()) u.containers = it->second;
    out.push_back(std::move(u));
  }
  return out;
}

ImageConfig ImageStore::config(const Image& image) const { return parse_image_config(config_json(image)); }
std::string ImageStore::config_json(const Image& image) const { return read_blob(image.id); }
std::string ImageStore::manifest_json(const Image& image) const { return read_blob(image.manifest_digest); }

std::vector<fs::path> ImageStore::layer_dirs(const Image& image) {
  std::vector<fs::path> out;
  std::string parent;
  for (size_t i = 0; i < image.diff_ids.size(); ++i) {
    out.push_back(ensure_layer_unpacked(image.layer_digests.at(i), image.diff_ids[i], parent));
    parent = image.chain_ids[i];
  }
  return out;
}

// Unpacks a layer into a fresh images/tmp/layer-*/ (diff/ + layer.json). Needs no lock: the
// staging directory is private, and prune leaves young ones alone.
static fs::path stage_layer(ImageStore& st, const fs::path& dir, std::string_view blob_digest, std::string_view diff_id,
                            const std::string& chain) {
  std::string hex = store::digest_hex(chain);
  if (!st.has_blob(blob_digest)) throw UserError("image store: layer blob " + std::string(blob_digest) + " is missing");
  fs::path stage = store::make_temp_dir(dir, "layer");
  Rollback undo;
  undo.add([stage] { std::error_code ec; fs::remove_all(stage, ec); });
  fs::create_directory(stage / "diff");
  UniqueFd blob(::open(st.blob_path(blob_digest).c_str(), O_RDONLY | O_CLOEXEC));
  if (!blob) throw_errno("open", st.blob_path(blob_digest).string());
  UnpackOptions opts;
  // The blob was verified against its digest when stored; only a compressed blob needs the
  // uncompressed stream hashed to check the diff_id.
  opts.compute_digest = blob_digest != diff_id;
  UnpackResult res = with_context("unpacking layer " + std::string(diff_id), [&] {
    return unpack_layer(blob.get(), stage / "diff", opts);
  });
  if (opts.compute_digest && res.diff_id != diff_id)
    throw UserError("layer " + std::string(blob_digest) + ": uncompressed content hashes to " + res.diff_id +
                    ", but the image config says " + std::string(diff_id));
  json meta{{"chain_id", chain}, {"diff_id", diff_id}, {"blob", blob_digest}, {"size", res.size},
            {"entries", res.entries}, {"short", hex.substr(0, 16)}};
  write_file_atomic(stage / "layer.json", meta.dump() + "\n", 0644, st.write_sync());
  undo.dismiss();
  log::debug("unpacked layer {} ({} bytes)", chain, res.size);
  return stage;
}

// Renames a staged layer to layers/<chainhex> (the layer appears complete or not at all), or
// drops it when another process published that chain first. Callers hold the store lock.
static fs::path publish_locked(const fs::path& dir, const fs::path& stage, const std::string& chain, int& counter) {
  std::string hex = store::digest_hex(chain);
  fs::path final_dir = dir / "layers" / hex;
  Rollback undo;
  undo.add([stage] { std::error_code ec; fs::remove_all(stage, ec); });
  if (fs::exists(final_dir / "layer.json")) return final_dir / "diff";
  fs::path link = dir / "l" / hex.substr(0, 16);
  std::error_code ec;
  fs::remove(link, ec);
  fs::create_directory_symlink(fs::path("..") / "layers" / hex / "diff", link);
  if (::rename(stage.c_str(), final_dir.c_str()) != 0) throw_errno("rename", stage.string() + " to " + final_dir.string());
  undo.dismiss();
  ++counter;
  return final_dir / "diff";
}

// Callers hold the store lock.
static fs::path unpack_locked(ImageStore& st, const fs::path& dir, std::string_view blob_digest,
                              std::string_view diff_id, const std::string& chain, int& counter) {
  fs::path final_dir = dir / "layers" / store::digest_hex(chain);
  if (fs::exists(final_dir / "layer.json")) return final_dir / "diff";
  return publish_locked(dir, stage_layer(st, dir, blob_digest, diff_id, chain), chain, counter);
}

fs::path ImageStore::ensure_layer_unpacked(std::string_view blob_digest, std::string_view diff_id,
                                           std::string_view parent_chain_id) {
  std::string chain = chain_id(parent_chain_id, diff_id);
  fs::path final_dir = dir_ / "layers" / store::digest_hex(chain);
  if (fs::exists(final_dir / "layer.json")) return final_dir / "diff";
  // Unpacked outside the store lock so that the layers of a pull unpack in parallel (holding it,
  // they took turns); only publishing is locked. Two pulls of one new layer may both unpack it.
  fs::path stage = stage_layer(*this, dir_, blob_digest, diff_id, chain);
  Rollback undo;
  undo.add([stage] { std::error_code ec; fs::remove_all(stage, ec); });
  auto lock = FileLock::acquire(dir_ / "lock");
  undo.dismiss();
  return publish_locked(dir_, stage, chain, unpack_count_);
}

Image ImageStore::commit_image(std::string_view manifest_bytes, std::string_view config_bytes,
                               const std::vector<std::string>& refs) {
  json m = json::parse(manifest_bytes, nullptr, false);
  if (m.is_discarded() || !m.is_object() || !m.contains("config") || !m.contains("layers"))
    throw UserError("image manifest: not an image manifest (config and layers missing)");
  std::string media_type = m.value("mediaType", std::string(store::kOciManifest));
  if (media_type != store::kOciManifest && media_type != store::kDockerManifest)
    throw UserError("image manifest: unsupported media type " + media_type);
  std::string config_digest = m["config"].value("digest", "");
  // Config and manifest blobs are stored only once the layers are in: a failed unpack leaves
  // no blob behind that no image uses.
  std::string id = sha256_digest(config_bytes);
  if (!config_digest.empty() && config_digest != id)
    throw UserError("digest mismatch for image config " + config_digest + ": content hashes to " + id);
  ImageConfig cfg = parse_image_config(config_bytes);
  const json& layers = m["layers"];
  if (!layers.is_array() || layers.size() != cfg.diff_ids.size())
    throw UserError("image " + id + ": manifest lists " + std::to_string(layers.size()) + " layers, config " +
                    std::to_string(cfg.diff_ids.size()) + " diff_ids");
  std::vector<ImageReference> parsed;
  for (auto& r : refs) parsed.push_back(parse_reference(r));
  auto lock = FileLock::acquire(dir_ / "lock");
  json rec{{"id", id}, {"manifest_media_type", media_type},
           {"created", cfg.created}, {"layers", json::array()}};
  std::string parent;
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string digest = layers[i].value("digest", "");
    store::digest_hex(digest);
    store::digest_hex(cfg.diff_ids[i]);
    std::string chain = chain_id(parent, cfg.diff_ids[i]);
    unpack_locked(*this, dir_, digest, cfg.diff_ids[i], chain, unpack_count_);
    rec["layers"].push_back({{"digest", digest}, {"media_type", layers[i].value("mediaType", "")},
                             {"diff_id", cfg.diff_ids[i]}, {"chain_id", chain}});
    parent = chain;
  }
  put_blob(config_bytes, id);
  std::string manifest_digest = put_blob(manifest_bytes);
  rec["manifest_digest"] = manifest_digest;
  write_file_atomic(dir_ / "images" / (store::digest_hex(id) + ".json"), rec.dump(2) + "\n", 0644, sync_);
  if (!parsed.empty()) {
    if (sync_ != Sync::Yes) sync();  // a tag must never name what a power loss could take
    auto all = store::read_refs(dir_);
    for (auto& r : parsed) all[r.str()] = id;
    store::write_refs(dir_, all);
  }
  auto current = store::read_refs(dir_);
  return image_from_record(rec, dir_, current);
}

void ImageStore::tag(std::string_view source, std::string_view new_ref) {
  Image im = get(source);
  ImageReference r = parse_reference(new_ref);
  if (!r.digest.empty()) throw UserError("cannot tag with a digest reference: " + std::string(new_ref));
  auto lock = FileLock::acquire(dir_ / "lock");
  auto all = store::read_refs(dir_);
  all[r.str()] = im.id;
  store::write_refs(dir_, all);
}

}  // namespace berth::engine
