// `image load` and `image save`: docker-save archives (manifest.json + <id>.json + layer tars,
// old and new layouts) and OCI image-layout archives (oci-layout, index.json, blobs/sha256/...).
// Loading reads the stream once: blobs/sha256/* are verified against their names as they are
// written; other files become blobs under whatever they hash to.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "base/error.hpp"
#include "base/rollback.hpp"
#include "engine/image/image_store.hpp"
#include "engine/image/layer_unpack.hpp"
#include "engine/image/store_internal.hpp"

namespace berth::engine {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct ReadFree {
  void operator()(archive* a) const noexcept { archive_read_free(a); }
};
struct WriteFree {
  void operator()(archive* a) const noexcept { archive_write_free(a); }
};

std::string parent_of(const std::string& p) {
  auto s = p.rfind('/');
  return s == std::string::npos ? "" : p.substr(0, s);
}

json parse_json(const std::string& text, const std::string& what) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw UserError("image archive: " + what + " is not valid JSON");
  return j;
}

// What one pass over the archive found.
struct Contents {
  std::map<std::string, std::string> small;   // json files by path
  std::map<std::string, std::string> blobs;   // path -> digest of stored content
  std::map<std::string, std::string> links;   // path -> normalized target path
  std::vector<std::string> written;           // digests stored by this load (for rollback)

  std::string digest_of(const std::string& path) const {
    std::string p = path;
    for (int i = 0; i < 16; ++i) {
      if (auto it = blobs.find(p); it != blobs.end()) return it->second;
      auto l = links.find(p);
      if (l == links.end()) break;
      p = l->second;
    }
    throw UserError("image archive: " + path + " is missing");
  }
};

// Fills `c` as it goes, so a failure midway still knows which blobs it stored.
void read_archive(ImageStore& st, int fd, Contents& c) {
  std::unique_ptr<archive, ReadFree> a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_fd(a.get(), fd, 1 << 20) != ARCHIVE_OK)
    throw UserError(std::string("image archive: ") + archive_error_string(a.get()));
  archive_entry* e;
  for (;;) {
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) throw UserError(std::string("image archive: ") + archive_error_string(a.get()));
    std::string raw = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    auto path = normalize_entry_path(raw);
    if (!path) throw UserError("image archive: entry \"" + raw + "\" leaves the archive");
    auto type = archive_entry_filetype(e);
    if (type == AE_IFLNK) {
      auto target = normalize_entry_path(parent_of(*path) + "/" + archive_entry_symlink(e));
      if (target) c.links[*path] = *target;
      continue;
    }
    if (const char* hl = archive_entry_hardlink(e)) {
      if (auto target = normalize_entry_path(hl)) c.links[*path] = *target;
      continue;
    }
    if (type != AE_IFREG) continue;
    bool is_json = path->ends_with(".json") || *path == "repositories" || *path == "oci-layout";
    if (is_json && archive_entry_size(e) < (16 << 20)) {
      std::string text(static_cast<size_t>(archive_entry_size(e)), '\0');
      if (archive_read_data(a.get(), text.data(), text.size()) != static_cast<la_ssize_t>(text.size()))
        throw UserError("image archive: short read of " + *path);
      c.small[*path] = text;
      continue;
    }
    std::string expected;
    if (path->starts_with("blobs/sha256/")) expected = "sha256:" + path->substr(13);
    auto w = st.blob_writer(expected);
    const void* buf;
    size_t size;
    la_int64_t off;
    for (;;) {
      int rr = archive_read_data_block(a.get(), &buf, &size, &off);
      if (rr == ARCHIVE_EOF) break;
      if (rr < ARCHIVE_WARN) throw UserError("image archive: reading " + *path + ": " + archive_error_string(a.get()));
      w.write(buf, size);
    }
    bool had = !expected.empty() && st.has_blob(expected);
    std::string d = w.commit();
    if (!had) c.written.push_back(d);
    c.blobs[*path] = d;
  }
}

std::string layer_media_type(ImageStore& st, const std::string& digest) {
  std::string comp = store::sniff_compression(st.blob_path(digest));
  return std::string(store::kOciLayer) + (comp.empty() ? "" : "+" + comp);
}

std::string blob_or_small(ImageStore& st, const Contents& c, const std::string& path) {
  if (auto it = c.small.find(path); it != c.small.end()) return it->second;
  return st.read_blob(c.digest_of(path));
}

void load_docker(ImageStore& st, const Contents& c, LoadResult& out) {
  json m = parse_json(c.small.at("manifest.json"), "manifest.json");
  if (!m.is_array()) throw UserError("image archive: manifest.json is not a list");
  for (auto& item : m) {
    std::string config_path = item.value("Config", "");
    if (config_path.empty()) throw UserError("image archive: manifest.json entry without Config");
    std::string config = blob_or_small(st, c, config_path);
    json layers = json::array();
    for (auto& l : item.value("Layers", json::array())) {
      std::string d = c.digest_of(l.get<std::string>());
      auto size = fs::file_size(st.blob_path(d));
      layers.push_back({{"mediaType", layer_media_type(st, d)}, {"digest", d}, {"size", size}});
    }
    json manifest{{"schemaVersion", 2},
                  {"mediaType", store::kOciManifest},
                  {"config", {{"mediaType", store::kOciConfig}, {"digest", sha256_digest(config)}, {"size", config.size()}}},
                  {"layers", layers}};
    std::vector<std::string> refs;
    for (auto& t : item.value("RepoTags", json::array()))
      if (t.is_string()) refs.push_back(t.get<std::string>());
    Image im = st.commit_image(manifest.dump(), config, refs);
    out.image_ids.push_back(im.id);
    for (auto& r : refs) out.refs.push_back(parse_reference(r).familiar());
  }
}

// The descriptor of an image manifest for this host in an index (nested indexes followed).
json pick_manifest(ImageStore& st, const json& desc, int depth = 0) {
  std::string mt = desc.value("mediaType", "");
  if (mt != store::kOciIndex && mt != store::kDockerList) return desc;
  if (depth > 4) throw UserError("image archive: index nesting too deep");
  json idx = parse_json(st.read_blob(desc.at("digest").get<std::string>()), "index " + desc.value("digest", ""));
  for (auto& d : idx.value("manifests", json::array())) {
    auto p = d.value("platform", json::object());
    if (p.value("os", "linux") == "linux" && p.value("architecture", "amd64") == "amd64") return pick_manifest(st, d, depth + 1);
  }
  throw UserError("image archive: no linux/amd64 image in index " + desc.value("digest", ""));
}

void load_oci(ImageStore& st, const Contents& c, LoadResult& out) {
  json index = parse_json(c.small.at("index.json"), "index.json");
  for (auto& d : index.value("manifests", json::array())) {
    json md = pick_manifest(st, d);
    std::string manifest = st.read_blob(md.at("digest").get<std::string>());
    json m = parse_json(manifest, "manifest " + md.value("digest", ""));
    std::string config = st.read_blob(m.at("config").at("digest").get<std::string>());
    std::vector<std::string> refs;
    auto ann = d.value("annotations", json::object());
    std::string name = ann.value("io.containerd.image.name", "");
    if (name.empty()) {
      // OCI's ref.name is often a bare tag ("latest") that names no repository: only a full
      // reference ("repo:tag", "host/repo:tag") becomes a berth tag.
      std::string rn = ann.value("org.opencontainers.image.ref.name", "");
      if (rn.find(':') != std::string::npos || rn.find('/') != std::string::npos) name = rn;
    }
    if (!name.empty()) refs.push_back(name);
    Image im = st.commit_image(manifest, config, refs);
    out.image_ids.push_back(im.id);
    for (auto& r : refs) out.refs.push_back(parse_reference(r).familiar());
  }
}

void write_entry(archive* a, const std::string& name, std::int64_t size, const std::function<void()>& body) {
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), 0644);
  archive_entry_set_size(e.get(), size);
  if (archive_write_header(a, e.get()) != ARCHIVE_OK) throw UserError(std::string("image save: ") + archive_error_string(a));
  body();
}

void write_data(archive* a, const void* p, size_t n) {
  if (archive_write_data(a, p, n) < 0) throw UserError(std::string("image save: ") + archive_error_string(a));
}

std::int64_t write_file(archive* a, const std::string& name, const fs::path& src) {
  UniqueFd fd(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", src.string());
  struct stat st;
  ::fstat(fd.get(), &st);
  write_entry(a, name, st.st_size, [&] {
    std::vector<char> buf(1 << 20);
    for (;;) {
      ssize_t n = ::read(fd.get(), buf.data(), buf.size());
      if (n < 0) throw_errno("read", src.string());
      if (n == 0) break;
      write_data(a, buf.data(), static_cast<size_t>(n));
    }
  });
  return st.st_size;
}

}  // namespace

LoadResult ImageStore::load(int fd, const ProgressFn& progress) {
  LoadResult out;
  Contents c;
  // If anything fails, blobs this load stored that no image uses go again.
  Rollback undo;
  undo.add([this, &c] {
    std::set<std::string> used;
    for (auto& im : list()) {
      used.insert(im.id);
      used.insert(im.manifest_digest);
      used.insert(im.layer_digests.begin(), im.layer_digests.end());
    }
    for (auto& d : c.written)
      if (!used.count(d)) {
        std::error_code ec;
        fs::remove(blob_path(d), ec);
      }
  });
  read_archive(*this, fd, c);
  if (progress) progress("read archive: " + std::to_string(c.blobs.size()) + " files");
  if (c.small.count("manifest.json"))
    load_docker(*this, c, out);
  else if (c.small.count("index.json"))
    load_oci(*this, c, out);
  else
    throw UserError("image archive: neither manifest.json (docker save) nor index.json (OCI layout) found");
  // Blobs stored for the archive's own bookkeeping (legacy layer json etc.) but used by no image
  // are removed by the same rule as on failure.
  return out;
}

// The archive is both a docker-save archive (manifest.json, repositories) and an OCI image layout
// (oci-layout, index.json), as Docker >= 25 writes it: every file lives once under blobs/sha256/,
// layers as plain tars (their digest is the diff_id), so either kind of reader finds them.
void ImageStore::save(const std::vector<std::string>& names, int fd) {
  std::vector<std::pair<Image, std::vector<std::string>>> items;  // image, RepoTags (familiar)
  for (auto& n : names) {
    Image im = get(n);
    std::vector<std::string> tags;
    std::optional<ImageReference> r;
    try {
      if (!n.starts_with("sha256:")) r = parse_reference(n);
    } catch (const UserError&) {
    }
    if (r && std::find(im.refs.begin(), im.refs.end(), r->str()) != im.refs.end())
      tags.push_back(r->familiar());
    else
      for (auto& ref : im.refs) tags.push_back(parse_reference(ref).familiar());
    items.emplace_back(im, tags);
  }
  std::unique_ptr<archive, WriteFree> a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_bytes_per_block(a.get(), 10240);
  if (archive_write_open_fd(a.get(), fd) != ARCHIVE_OK) throw UserError(std::string("image save: ") + archive_error_string(a.get()));
  auto put_text = [&](const std::string& name, const std::string& text) {
    write_entry(a.get(), name, static_cast<std::int64_t>(text.size()), [&] { write_data(a.get(), text.data(), text.size()); });
  };
  json manifest = json::array();
  json repositories = json::object();
  json index{{"schemaVersion", 2}, {"mediaType", store::kOciIndex}, {"manifests", json::array()}};
  std::map<std::string, std::int64_t> written;  // blob path -> size
  for (auto& [im, tags] : items) {
    json layers = json::array();
    json oci_layers = json::array();
    for (size_t i = 0; i < im.diff_ids.size(); ++i) {
      std::string name = "blobs/sha256/" + store::digest_hex(im.diff_ids[i]);
      layers.push_back(name);
      if (!written.count(name)) {
        if (im.layer_digests[i] == im.diff_ids[i]) {
          written[name] = write_file(a.get(), name, blob_path(im.layer_digests[i]));
        } else {  // saved layers are plain tars: decompress through a temp file (the size comes first)
          fs::path tmp = store::make_temp_dir(dir_, "save");
          Rollback rm;
          rm.add([tmp] { std::error_code ec; fs::remove_all(tmp, ec); });
          UniqueFd in(::open(blob_path(im.layer_digests[i]).c_str(), O_RDONLY | O_CLOEXEC));
          UniqueFd out(::open((tmp / "layer.tar").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
          if (!in || !out) throw_errno("open", "layer " + im.layer_digests[i]);
          store::decompress(in.get(), [&](const void* p, size_t n) {
            if (::write(out.get(), p, n) != static_cast<ssize_t>(n)) throw_errno("write", (tmp / "layer.tar").string());
          });
          out.reset();
          written[name] = write_file(a.get(), name, tmp / "layer.tar");
        }
      }
      oci_layers.push_back({{"mediaType", store::kOciLayer}, {"digest", im.diff_ids[i]}, {"size", written[name]}});
    }
    std::string cfg = config_json(im);
    std::string cfg_name = "blobs/sha256/" + store::digest_hex(im.id);
    if (!written.count(cfg_name)) {
      put_text(cfg_name, cfg);
      written[cfg_name] = static_cast<std::int64_t>(cfg.size());
    }
    std::string oci_manifest = json{{"schemaVersion", 2}, {"mediaType", store::kOciManifest},
                                    {"config", {{"mediaType", store::kOciConfig}, {"digest", im.id}, {"size", cfg.size()}}},
                                    {"layers", oci_layers}}.dump();
    std::string mdigest = sha256_digest(oci_manifest);
    std::string m_name = "blobs/sha256/" + store::digest_hex(mdigest);
    if (!written.count(m_name)) {
      put_text(m_name, oci_manifest);
      written[m_name] = static_cast<std::int64_t>(oci_manifest.size());
    }
    json desc{{"mediaType", store::kOciManifest}, {"digest", mdigest}, {"size", oci_manifest.size()}};
    if (tags.empty()) index["manifests"].push_back(desc);
    for (auto& t : tags) {
      auto r = parse_reference(t);
      json d = desc;
      d["annotations"] = {{"io.containerd.image.name", r.str()}, {"org.opencontainers.image.ref.name", t}};
      index["manifests"].push_back(d);
      std::string repo = t.substr(0, t.size() - r.tag.size() - 1);
      repositories[repo][r.tag] = store::digest_hex(im.diff_ids.empty() ? im.id : im.diff_ids.back());
    }
    manifest.push_back({{"Config", cfg_name}, {"RepoTags", tags}, {"Layers", layers}});
  }
  put_text("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  put_text("index.json", index.dump());
  put_text("manifest.json", manifest.dump());
  put_text("repositories", repositories.dump());
  if (archive_write_close(a.get()) != ARCHIVE_OK) throw UserError(std::string("image save: ") + archive_error_string(a.get()));
}

}  // namespace berth::engine
