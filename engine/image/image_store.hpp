#pragma once
// The image store (issue 3): OCI-style content-addressed blobs, unpacked layers keyed by chain id,
// references, and the ways images get in and out without a registry.
//
// Layout under the state root (StatePaths::root):
//   images/blobs/sha256/<hex>        manifests, configs, layer blobs (as received), verified
//   images/layers/<chainhex>/diff/   the unpacked layer (an overlay lowerdir), built once per chain id
//   images/layers/<chainhex>/layer.json  {diff_id, chain_id, parent, size, short}
//   images/l/<short>  -> ../layers/<chainhex>/diff   short links that keep overlay options short
//   images/images/<idhex>.json       one record per image: manifest digest, config digest, layers
//   images/refs.json                 {"docker.io/library/redis:latest": "sha256:<image id>", ...}
//   images/tmp/                      staging; everything is built here and renamed into place
//   images/lock                      flock: writers take it exclusive, readers need no lock
// Every write is temp + rename, so a crash mid-import leaves nothing visible; blobs are verified
// against their digest before they become visible.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/file_io.hpp"
#include "base/paths.hpp"
#include "base/sha256.hpp"
#include "base/unique_fd.hpp"

namespace berth::engine {

// ---- references --------------------------------------------------------------------------------

// A normalized image reference, as Docker normalizes it:
//   "redis"              -> registry "docker.io", repository "library/redis", tag "latest"
//   "host:5000/a/b:tag"  -> registry "host:5000", repository "a/b", tag "tag"
//   "x@sha256:<64 hex>"  -> digest set, tag empty (both may be set: "x:t@sha256:...")
struct ImageReference {
  std::string registry;
  std::string repository;
  std::string tag;     // empty only when a digest is given without a tag
  std::string digest;  // "sha256:<hex>" or empty

  std::string name() const;      // registry/repository: "docker.io/library/redis"
  std::string str() const;       // fully qualified: "docker.io/library/redis:latest[@sha256:..]"
  std::string familiar() const;  // as docker prints it: "redis:latest", "host:5000/a/b:tag"
  bool operator==(const ImageReference&) const = default;
};

// Throws UserError("invalid image reference \"X\": why") for anything Docker would refuse.
ImageReference parse_reference(std::string_view ref);

// ---- image config ------------------------------------------------------------------------------

struct Healthcheck {
  std::vector<std::string> test;  // ["CMD", ...] / ["CMD-SHELL", "..."] / ["NONE"]; empty = inherit
  std::int64_t interval_ns = 0;   // 0 = default
  std::int64_t timeout_ns = 0;
  std::int64_t start_period_ns = 0;
  std::int64_t start_interval_ns = 0;
  int retries = 0;
};

// One entry of the config's "history": what made a layer (or, empty_layer, a config-only step).
struct HistoryEntry {
  std::string created;  // RFC 3339, may be empty
  std::string created_by;
  std::string comment;
  std::string author;
  bool empty_layer = false;
  bool operator==(const HistoryEntry&) const = default;
};

// The "config" object of an OCI / Docker image config, read fully. Optional vectors distinguish
// "absent" (nullopt: inherit/none) from "explicitly empty".
struct ImageConfig {
  std::vector<std::string> env;  // "KEY=value"
  std::optional<std::vector<std::string>> cmd;
  std::optional<std::vector<std::string>> entrypoint;
  std::string working_dir;
  std::string user;
  std::vector<std::string> exposed_ports;  // "80/tcp", "53/udp" (sorted)
  std::vector<std::string> volumes;        // "/data" (sorted)
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  std::optional<Healthcheck> healthcheck;
  std::vector<std::string> onbuild;  // ONBUILD triggers, kept for a builder to run
  std::vector<std::string> shell;    // SHELL: the shell of RUN/CMD/ENTRYPOINT shell forms in builds FROM it
  std::string architecture;  // "amd64"
  std::string os;            // "linux"
  std::string created;       // RFC 3339, may be empty
  std::string author;
  std::vector<std::string> diff_ids;  // rootfs.diff_ids, bottom -> top
  std::vector<HistoryEntry> history;  // oldest first; empty: serialize writes the import entry
};

// Parses an image config blob (JSON). Throws UserError naming the bad field.
ImageConfig parse_image_config(std::string_view json);
// The inverse, used by import: a complete OCI image config JSON for `c` (keys sorted, stable).
std::string serialize_image_config(const ImageConfig& c);

// ---- images ------------------------------------------------------------------------------------

struct Image {
  std::string id;               // "sha256:<hex>": digest of the config blob (Docker's image id)
  std::string manifest_digest;  // "sha256:<hex>" of the stored manifest
  std::string manifest_media_type;
  std::vector<std::string> layer_digests;  // manifest layer blob digests, bottom -> top
  std::vector<std::string> layer_media_types;
  std::vector<std::string> diff_ids;   // uncompressed digests, bottom -> top
  std::vector<std::string> chain_ids;  // OCI chain ids, bottom -> top
  std::vector<std::string> refs;       // fully qualified refs pointing at it (ImageReference::str())
  std::int64_t size = 0;               // sum of unpacked layer sizes (bytes)
  std::string created;                 // from the config

  std::string short_id() const { return id.substr(7, 12); }
};

// Size accounting for `images`: shared = bytes in layers also used by another image.
struct ImageUsage {
  Image image;
  std::int64_t shared = 0;
  std::int64_t unique = 0;
  int containers = 0;  // containers whose container.json names this image id
};

// Streams a blob into images/tmp while hashing; commit() verifies the expected digest (when one
// was given) and renames it to blobs/sha256/<hex>. Destroyed without commit: the temp is removed.
class BlobWriter {
 public:
  BlobWriter(BlobWriter&&) noexcept;
  BlobWriter& operator=(BlobWriter&&) noexcept;
  ~BlobWriter();
  void write(const void* data, std::size_t len);
  void write(std::string_view s) { write(s.data(), s.size()); }
  std::uint64_t size() const;
  // Returns the digest; throws UserError("digest mismatch for <expected>: got <actual>") and removes
  // the temp when it does not match. Idempotent if the blob already exists.
  std::string commit();

 private:
  friend class ImageStore;
  struct State;
  explicit BlobWriter(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

// Options for import_rootfs: Docker's `--change` lines and the tag(s) to apply.
struct ImportOptions {
  std::vector<std::string> changes;  // "CMD [\"sh\"]", "ENV A=b", "WORKDIR /x", "USER app", "EXPOSE 80"
  std::string message;               // history comment
};

struct LayerBlob;

// A new image on top of another (commit, a build step): its config is `config` when given, else
// the base's, with `changes` applied; `history` is appended (its created time filled in).
struct NewImageOptions {
  std::optional<ImageConfig> config;
  std::vector<std::string> changes;  // as ImportOptions::changes, plus ONBUILD
  HistoryEntry history;              // created_by, comment, author; empty_layer set by add_layer_image
  std::vector<std::string> refs;     // tags for the new image
};

struct LoadResult {
  std::vector<std::string> image_ids;
  std::vector<std::string> refs;  // tagged refs (familiar form), "Loaded image: X" lines
};

// Progress reports from long operations (optional).
using ProgressFn = std::function<void(std::string_view message)>;

class ImageStore {
 public:
  explicit ImageStore(const StatePaths& paths);

  const std::filesystem::path& dir() const { return dir_; }  // <root>/images

  // Lookup by reference ("redis", "docker.io/library/redis:7"), full id "sha256:<hex>", hex, or
  // a unique id prefix (>= 4 hex chars). nullopt if unknown.
  std::optional<Image> find(std::string_view ref_or_id) const;
  // As find, but throws UserError("image not found: X (see 'berth image ls'; load or import it first)").
  Image get(std::string_view ref_or_id) const;
  std::vector<Image> list() const;
  std::vector<ImageUsage> usage() const;

  // Unpacked layer dirs bottom -> top, ready for overlay lowerdir (note: overlay's lowerdir
  // option lists the TOP layer first; overlay_lowerdir() / mount_overlay() do that reversal).
  // Unpacks any layer whose directory is missing (from its blob). The dirs are shared by every
  // image and container using them: mount them read-only as lowers, never write into them.
  std::vector<std::filesystem::path> layer_dirs(const Image& image);
  ImageConfig config(const Image& image) const;
  std::string config_json(const Image& image) const;
  std::string manifest_json(const Image& image) const;

  // Adds `new_ref` to the image named by `source` (ref or id). Moves the tag if it existed.
  void tag(std::string_view source, std::string_view new_ref);
  // Removes a reference; when no reference remains (or `target` is an id), removes the image record
  // and the blobs/layers no other image uses. Refuses an image used by a container unless force.
  // Returns lines "Untagged: X" / "Deleted: sha256:...".
  std::vector<std::string> remove(std::string_view target, bool force = false);
  // Removes images with no references (dangling) unless used by a container; `all`: also unused
  // tagged ones. Then removes unreferenced blobs/layers. Returns removed image ids, bytes freed.
  std::pair<std::vector<std::string>, std::int64_t> prune(bool all = false);

  // A flat rootfs tar (plain/gz/zstd, read from fd) becomes a one-layer image tagged `ref`.
  Image import_rootfs(int fd, std::string_view ref, const ImportOptions& opts = {});
  // A docker-save archive or an OCI image-layout archive (tar, optionally compressed) from fd.
  // Docker RepoTags and OCI "io.containerd.image.name" / full-reference "ref.name" annotations
  // become tags; an image with only a bare OCI tag name ("latest") is loaded untagged (by id).
  LoadResult load(int fd, const ProgressFn& progress = {});
  // Writes a docker-save compatible archive that is also an OCI image layout, as Docker >= 25
  // does: manifest.json + repositories + oci-layout + index.json, every file once under
  // blobs/sha256/ (layers as plain tars, so their digest is the diff_id) to fd.
  // Names keep their tags (RepoTags); an id saves the image with all its tags.
  void save(const std::vector<std::string>& refs_or_ids, int fd);

  // ---- blob-level API (the registry client) ----
  bool has_blob(std::string_view digest) const;
  std::filesystem::path blob_path(std::string_view digest) const;  // may not exist
  std::string read_blob(std::string_view digest) const;             // small blobs (json)
  // expected_digest empty: whatever it hashes to.
  BlobWriter blob_writer(std::string_view expected_digest = {});
  std::string put_blob(std::string_view data, std::string_view expected_digest = {});
  // Makes sure the layer with this chain is unpacked from `blob_digest` (compressed or not);
  // verifies that the uncompressed stream hashes to diff_id. Returns the layer's diff dir.
  // A no-op (returns at once) when layers/<chainhex> exists: shared layers unpack once.
  std::filesystem::path ensure_layer_unpacked(std::string_view blob_digest, std::string_view diff_id,
                                              std::string_view parent_chain_id);
  // Records an image whose manifest, config and layer blobs are already stored (put_blob /
  // blob_writer): verifies them, unpacks missing layers, then tags `refs`. Returns the image.
  Image commit_image(std::string_view manifest_bytes, std::string_view config_bytes,
                     const std::vector<std::string>& refs);

  // A new image: `base`'s layers (none for nullopt: FROM scratch) plus `layer` (a blob already in
  // the store, see layer_from_upper.hpp; nullopt: a config-only step, an empty_layer history
  // entry), the config and history as `opts` says. If this fails, the layer blob is removed again
  // unless an image uses it: a failed commit leaves nothing behind.
  Image add_layer_image(const std::optional<Image>& base, const std::optional<LayerBlob>& layer,
                        const NewImageOptions& opts);

  // Count of layer unpack operations performed by this object (tests/bench: shared layers
  // must not be unpacked again).
  int unpack_count() const { return unpack_count_; }

  // Durability deferred: blobs, unpacked layers' metadata and image records this object writes
  // are not fsync'ed one by one (five fsyncs, several milliseconds, per build step) but by one
  // sync() of the store's filesystem before anything names them (a tag). For a builder's many
  // intermediate images; tags themselves are always written durably.
  void defer_sync() { sync_ = Sync::No; }
  Sync write_sync() const { return sync_; }
  // syncfs() of the store's filesystem: what was written deferred is on disk afterwards.
  void sync() const;

 private:
  StatePaths paths_;
  std::filesystem::path dir_;
  int unpack_count_ = 0;
  Sync sync_ = Sync::Yes;
  friend struct StoreAccess;
};

// ---- layer helpers ------------------------------------------------------------------------------

// OCI chain id: chain(L0) = diff(L0); chain(Ln) = sha256(chain(Ln-1) + " " + diff(Ln)).
std::string chain_id(std::string_view parent_chain_id, std::string_view diff_id);
std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids);

// The overlay "lowerdir=" value (without the key) for layer dirs given bottom -> top: top layer
// first, ':'-separated. When the plain absolute paths would push the mount options past the
// kernel's one-page limit (4096 bytes, leaving `reserve` bytes for upperdir/workdir/other
// options) it uses the short links images/l/<short> instead; throws UserError when even those do
// not fit. (Kernels >= 6.8 also accept "lowerdir+" one layer per fsconfig() call, which has no
// total limit: engine/image/overlay_mount.hpp mount_overlay() does that, falling back to this.)
std::string overlay_lowerdir(const std::vector<std::filesystem::path>& layer_dirs,
                             std::size_t reserve = 512);

}  // namespace berth::engine
