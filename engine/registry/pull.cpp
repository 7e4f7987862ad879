// `pull`: manifest (and index) -> config -> layers downloaded in parallel, each unpacked as soon as
// it is complete -> one commit_image. A failed pull takes back what it added to the store.
#include <algorithm>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/file_lock.hpp"
#include "base/log.hpp"
#include "base/sha256.hpp"
#include "engine/registry/blob_download.hpp"
#include "engine/registry/blob_sources.hpp"
#include "engine/registry/manifest.hpp"
#include "engine/registry/registry.hpp"
#include "engine/registry/session.hpp"

namespace berth::engine {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace registry;

namespace {

struct FetchedManifest {
  std::string body;
  std::string content_type;
  std::string digest;
};

// Registries (docker-registry among them) answer MANIFEST_UNKNOWN for a tag of a repository they
// do not have at all; the tag list tells the two apart. The NAME_UNKNOWN error text when the
// repository is missing, nullopt otherwise (or when the registry will not say).
std::optional<std::string> missing_repository(RegistrySession& s, const ImageReference& ref) {
  try {
    HttpResponse res = s.send(HttpRequest{"GET", s.url("/v2/" + ref.repository + "/tags/list?n=1"), {}, {}, {}});
    if (res.status == 404 && registry_error_code(res) == "NAME_UNKNOWN") return registry_error_text(res);
  } catch (const UserError& e) {
    log::debug("pull: listing tags of {}: {}", ref.name(), e.what());
  }
  return std::nullopt;
}

// GET a manifest by tag or digest; the body is verified against the digest asked for, or the
// one the registry announces (Docker-Content-Digest).
FetchedManifest fetch_manifest(RegistrySession& s, const ImageReference& ref, const std::string& target) {
  HttpRequest req{"GET", s.url("/v2/" + ref.repository + "/manifests/" + target), {}, {}, {}};
  req.headers.emplace_back("Accept", manifest_accept_header());
  HttpResponse res = s.send(req);
  if (res.status == 404) {
    std::string code = registry_error_code(res);
    if (code == "NAME_UNKNOWN")
      throw UserError("repository " + ref.name() + " not found (" + registry_error_text(res) + ")");
    if (auto why = missing_repository(s, ref)) throw UserError("repository " + ref.name() + " not found (" + *why + ")");
    if (target.starts_with("sha256:"))
      throw UserError("manifest " + target + " not found in " + ref.name() + " (" + registry_error_text(res) + ")");
    throw UserError("tag \"" + target + "\" not found in " + ref.name() + " (" + registry_error_text(res) + ")");
  }
  if (res.status == 403) throw UserError("access to " + ref.name() + " denied: " + registry_error_text(res));
  if (res.status != 200) throw UserError("fetching manifest " + target + ": " + registry_error_text(res));
  FetchedManifest m{res.body, res.header("content-type").value_or(""), sha256_digest(res.body)};
  if (target.starts_with("sha256:") && m.digest != target)
    throw UserError("manifest " + target + " is corrupt: its content hashes to " + m.digest);
  if (auto announced = res.header("docker-content-digest"); announced && announced->starts_with("sha256:") && *announced != m.digest)
    throw UserError("manifest " + target + " of " + ref.name() + ": content hashes to " + m.digest +
                    ", the registry says " + *announced);
  return m;
}

std::string layer_short(const std::string& digest) { return digest.substr(7, 12); }

// Takes back blobs and layers this pull added when it fails, unless an image uses them by now.
// A verified blob goes back to images/tmp as a complete partial download, so retrying the pull
// does not fetch it again.
void discard_unused(ImageStore& store, const std::vector<std::string>& blobs, const std::vector<std::string>& chains) {
  if (blobs.empty() && chains.empty()) return;
  try {
    auto lock = FileLock::acquire(store.dir() / "lock");
    std::set<std::string> used_blobs, used_chains;
    for (auto& im : store.list()) {
      used_blobs.insert(im.layer_digests.begin(), im.layer_digests.end());
      used_chains.insert(im.chain_ids.begin(), im.chain_ids.end());
      used_blobs.insert(im.id);
      used_blobs.insert(im.manifest_digest);
    }
    for (auto& c : chains) {
      if (used_chains.count(c)) continue;
      fs::path dir = store.dir() / "layers" / c.substr(7);
      if (auto meta = try_read_file(dir / "layer.json")) {
        json j = json::parse(*meta, nullptr, false);
        if (j.is_object() && j.contains("short") && j["short"].is_string()) {
          std::error_code ec;
          fs::remove(store.dir() / "l" / j["short"].get<std::string>(), ec);
        }
      }
      // Renamed away first so that the layer vanishes at once, then deleted.
      fs::path gone = store.dir() / "tmp" / ("discard-" + c.substr(7));
      if (::rename(dir.c_str(), gone.c_str()) == 0) {
        std::error_code ec;
        fs::remove_all(gone, ec);
      }
    }
    for (auto& b : blobs) {
      if (used_blobs.count(b)) continue;
      fs::path part = partial_blob_path(store, b);
      if (::rename(store.blob_path(b).c_str(), part.c_str()) != 0) {
        std::error_code ec;
        fs::remove(store.blob_path(b), ec);
      }
    }
  } catch (const std::exception& e) {
    log::warn("pull: cleaning up after failure: {}", e.what());
  }
}

class Emitter {
 public:
  explicit Emitter(const TransferProgress& fn) : fn_(fn) {}
  void operator()(TransferEvent::Kind kind, std::string id, std::string status, std::uint64_t cur = 0,
                  std::uint64_t total = 0) {
    if (!fn_) return;
    std::lock_guard lk(mu_);
    fn_(TransferEvent{kind, std::move(id), std::move(status), cur, total});
  }

 private:
  const TransferProgress& fn_;
  std::mutex mu_;
};

}  // namespace

PullResult pull_image(ImageStore& store, std::string_view ref_text, const PullOptions& opts, const std::atomic<bool>* cancel) {
  ImageReference ref = parse_reference(ref_text);
  return with_context("pull " + ref.familiar(), [&]() -> PullResult {
    Emitter emit(opts.progress);
    Platform want = opts.platform.empty() ? detect_host_platform() : Platform::parse(opts.platform);
    RegistrySession session(opts.registry, ref.registry, {"repository:" + ref.repository + ":pull"});
    std::string target = ref.digest.empty() ? ref.tag : ref.digest;
    PullResult result;
    FetchedManifest top = fetch_manifest(session, ref, target);
    Manifest m = parse_manifest(top.body, top.content_type);
    FetchedManifest chosen = top;
    if (m.is_index) {
      const Descriptor& d = select_platform(m, want);
      result.index_digest = top.digest;
      chosen = fetch_manifest(session, ref, d.digest);
      m = parse_manifest(chosen.body, chosen.content_type);
      if (m.is_index) throw UserError("manifest list " + top.digest + " names another list for " + want.str());
    }
    // Only once the image manifest is there: a pull of a missing image, tag or platform is one
    // error line.
    emit(TransferEvent::Kind::Message, "", (ref.digest.empty() ? ref.tag : ref.digest) + ": Pulling from " + ref.repository);
    result.manifest_digest = chosen.digest;

    std::string config_bytes = store.has_blob(m.config.digest) ? store.read_blob(m.config.digest)
                                                                : fetch_blob_bytes(session, ref.repository, m.config);
    if (sha256_digest(config_bytes) != m.config.digest)
      throw UserError("image config " + m.config.digest + " is corrupt");
    ImageConfig cfg = parse_image_config(config_bytes);
    if (cfg.diff_ids.size() != m.layers.size())
      throw UserError("manifest lists " + std::to_string(m.layers.size()) + " layers, its config " +
                      std::to_string(cfg.diff_ids.size()));
    if (!opts.platform.empty() && !cfg.architecture.empty() &&
        (Platform::parse(cfg.architecture).architecture != want.architecture || (!cfg.os.empty() && cfg.os != want.os)))
      throw UserError("the image is for " + cfg.os + "/" + cfg.architecture + ", not the requested platform " + want.str());

    std::vector<std::string> refs{ref.str()};
    if (auto existing = store.find(ref.str()); existing && existing->manifest_digest == chosen.digest) {
      result.image = *existing;
      result.up_to_date = true;
      emit(TransferEvent::Kind::Message, "", "Digest: " + top.digest);
      emit(TransferEvent::Kind::Message, "", "Status: Image is up to date for " + ref.familiar());
      return result;
    }

    // Layers: each distinct blob downloaded once, by a bounded set of workers; each layer unpacked
    // (by chain id) as soon as its blob is complete.
    std::vector<std::string> chains = chain_ids(cfg.diff_ids);
    struct Job {
      size_t layer;
      std::string id;
    };
    std::vector<Job> jobs;
    std::set<std::string> seen;
    for (size_t i = 0; i < m.layers.size(); ++i) {
      if (!seen.insert(m.layers[i].digest).second) continue;
      jobs.push_back({i, layer_short(m.layers[i].digest)});
      emit(TransferEvent::Kind::Waiting, jobs.back().id, "Waiting", 0, m.layers[i].size);
    }
    std::vector<std::string> added_blobs, added_chains;
    std::mutex added_mu;
    std::atomic<size_t> next{0};
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> downloaded{0};
    std::exception_ptr first_error;
    std::mutex error_mu;
    auto worker = [&] {
      for (;;) {
        size_t j = next.fetch_add(1);
        if (j >= jobs.size() || stop.load()) return;
        const Job& job = jobs[j];
        const Descriptor& d = m.layers[job.layer];
        try {
          bool had_blob = store.has_blob(d.digest);
          if (had_blob) {
            emit(TransferEvent::Kind::Exists, job.id, "Already exists", d.size, d.size);
          } else {
            BlobProgress bp;
            bp.bytes = [&](std::uint64_t cur, std::uint64_t total) {
              if (cancel && cancel->load()) stop = true;
              emit(TransferEvent::Kind::Progress, job.id, "Downloading", cur, total);
            };
            bp.resumed = [&](std::uint64_t at) { emit(TransferEvent::Kind::Resumed, job.id, "Resuming", at, d.size); };
            downloaded += download_blob(session, ref.repository, d, store, bp, &stop);
            {
              std::lock_guard lk(added_mu);
              added_blobs.push_back(d.digest);
            }
            emit(TransferEvent::Kind::Verifying, job.id, "Download complete", d.size, d.size);
          }
          // Every layer whose blob is this one (normally just one) is unpacked now.
          for (size_t i = 0; i < m.layers.size(); ++i) {
            if (m.layers[i].digest != d.digest) continue;
            if (stop.load()) return;
            bool existed = fs::exists(store.dir() / "layers" / chains[i].substr(7) / "layer.json");
            if (!existed) emit(TransferEvent::Kind::Extracting, job.id, "Extracting", d.size, d.size);
            store.ensure_layer_unpacked(d.digest, cfg.diff_ids[i], i == 0 ? "" : chains[i - 1]);
            if (!existed) {
              std::lock_guard lk(added_mu);
              added_chains.push_back(chains[i]);
            }
          }
          if (!had_blob) emit(TransferEvent::Kind::Done, job.id, "Pull complete", d.size, d.size);
        } catch (...) {
          std::lock_guard lk(error_mu);
          if (!first_error) first_error = std::current_exception();
          stop = true;
          return;
        }
        if (cancel && cancel->load()) {
          std::lock_guard lk(error_mu);
          if (!first_error) first_error = std::make_exception_ptr(UserError("pull cancelled"));
          stop = true;
          return;
        }
      }
    };
    int n = std::clamp<int>(opts.max_concurrent, 1, 16);
    n = std::min<int>(n, static_cast<int>(jobs.size()));
    {
      std::vector<std::jthread> threads;
      for (int t = 1; t < n; ++t) threads.emplace_back(worker);
      if (n > 0) worker();
    }
    if (first_error) {
      discard_unused(store, added_blobs, added_chains);
      std::rethrow_exception(first_error);
    }
    try {
      result.image = store.commit_image(chosen.body, config_bytes, refs);
    } catch (...) {
      discard_unused(store, added_blobs, added_chains);
      throw;
    }
    result.downloaded_bytes = downloaded.load();
    std::vector<std::string> digests;
    for (auto& l : m.layers) digests.push_back(l.digest);
    digests.push_back(m.config.digest);
    record_blob_sources(opts.registry.state_root, ref.registry, ref.repository, digests);
    emit(TransferEvent::Kind::Message, "", "Digest: " + top.digest);
    emit(TransferEvent::Kind::Message, "", "Status: Downloaded newer image for " + ref.familiar());
    return result;
  });
}

}  // namespace berth::engine
