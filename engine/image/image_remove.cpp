// Untagging and deleting images. Only what the deleted image alone used is collected (its
// manifest, config, layer blobs, unpacked layers): blobs a concurrent pull has stored but not yet
// committed belong to no image and are left alone.
#include <set>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/file_lock.hpp"
#include "engine/image/image_store.hpp"
#include "engine/image/store_internal.hpp"

namespace berth::engine {

namespace fs = std::filesystem;

namespace {

// Deletes the record, then what no remaining image references. Caller holds the lock.
std::int64_t delete_image(const fs::path& dir, const Image& victim, const std::vector<Image>& others) {
  std::set<std::string> keep_blobs, keep_chains;
  for (auto& o : others) {
    if (o.id == victim.id) continue;
    keep_blobs.insert(o.id);
    keep_blobs.insert(o.manifest_digest);
    keep_blobs.insert(o.layer_digests.begin(), o.layer_digests.end());
    keep_chains.insert(o.chain_ids.begin(), o.chain_ids.end());
  }
  std::error_code ec;
  fs::remove(dir / "images" / (store::digest_hex(victim.id) + ".json"), ec);
  std::int64_t freed = 0;
  for (auto& c : victim.chain_ids) {
    if (keep_chains.count(c)) continue;
    std::string hex = store::digest_hex(c);
    freed += store::layer_size(dir, c);
    fs::remove(dir / "l" / hex.substr(0, 16), ec);
    // Rename first so a half-deleted layer is never seen under its name.
    fs::path gone = store::make_temp_dir(dir, "rm");
    if (::rename((dir / "layers" / hex).c_str(), (gone / "x").c_str()) == 0 || errno == ENOENT) fs::remove_all(gone, ec);
  }
  std::vector<std::string> blobs = victim.layer_digests;
  blobs.push_back(victim.id);
  blobs.push_back(victim.manifest_digest);
  for (auto& b : blobs)
    if (!keep_blobs.count(b) && store::is_digest(b)) fs::remove(dir / "blobs" / "sha256" / store::digest_hex(b), ec);
  return freed;
}

}  // namespace

std::vector<std::string> ImageStore::remove(std::string_view target, bool force) {
  Image im = get(target);
  auto lock = FileLock::acquire(dir_ / "lock");
  auto refs = store::read_refs(dir_);
  std::vector<std::string> out;
  bool by_ref = false;
  std::string ref_key;
  if (!target.starts_with("sha256:")) {
    try {
      auto r = parse_reference(target);
      if (refs.count(r.str())) {
        by_ref = true;
        ref_key = r.str();
      }
    } catch (const UserError&) {
    }
  }
  auto used = store::container_image_use(paths_.root);
  int users = used.count(im.id) ? used[im.id] : 0;
  std::vector<std::string> to_untag;
  if (by_ref && im.refs.size() > 1) {
    to_untag.push_back(ref_key);  // other names remain: only untag
  } else {
    if (!by_ref && im.refs.size() > 1 && !force)
      throw UserError("image " + im.short_id() + " is referenced by " + std::to_string(im.refs.size()) +
                      " names; remove them by name or use -f");
    if (users > 0 && !force)
      throw UserError("image " + (by_ref ? std::string(target) : im.short_id()) + " is used by " +
                      std::to_string(users) + " container(s); remove them first or use -f");
    to_untag = im.refs;
  }
  for (auto& r : to_untag) {
    refs.erase(r);
    out.push_back("Untagged: " + parse_reference(r).familiar());
  }
  store::write_refs(dir_, refs);
  if (to_untag.size() == im.refs.size()) {
    delete_image(dir_, im, list());
    out.push_back("Deleted: " + im.id);
  }
  return out;
}

std::pair<std::vector<std::string>, std::int64_t> ImageStore::prune(bool all) {
  auto lock = FileLock::acquire(dir_ / "lock");
  auto used = store::container_image_use(paths_.root);
  auto images = list();
  auto refs = store::read_refs(dir_);
  std::vector<std::string> removed;
  std::int64_t freed = 0;
  for (auto& im : images) {
    if (used.count(im.id)) continue;
    if (!im.refs.empty() && !all) continue;
    for (auto& r : im.refs) refs.erase(r);
    store::write_refs(dir_, refs);
    freed += delete_image(dir_, im, list());
    removed.push_back(im.id);
  }
  // Staging leftovers of crashed processes (older than an hour, so not a running import).
  std::error_code ec;
  auto now = fs::file_time_type::clock::now();
  for (auto it = fs::directory_iterator(dir_ / "tmp", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code ec2;
    if (now - fs::last_write_time(it->path(), ec2) > std::chrono::hours(1)) fs::remove_all(it->path(), ec2);
  }
  return {removed, freed};
}

}  // namespace berth::engine
