// `push`: every blob the repository lacks is mounted from another repository of the registry when
// berth knows one that has it, else uploaded (one PUT, or PATCH chunks then PUT); the stored
// manifest goes last, byte for byte. Also `login`, which shares the session machinery.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <set>
#include <thread>

#include "base/error.hpp"
#include "base/log.hpp"
#include "base/sha256.hpp"
#include "base/unique_fd.hpp"
#include "engine/registry/auth.hpp"
#include "engine/registry/blob_sources.hpp"
#include "engine/registry/manifest.hpp"
#include "engine/registry/registry.hpp"
#include "engine/registry/session.hpp"

namespace berth::engine {

namespace fs = std::filesystem;
using namespace registry;

namespace {

std::string with_query(const std::string& location, const std::string& kv) {
  return location + (location.find('?') == std::string::npos ? "?" : "&") + kv;
}

// The upload URL a 202 names (Location may be relative to the registry).
Url upload_url(const HttpResponse& res, const std::string& what) {
  auto loc = res.header("location");
  if (!loc) throw UserError("uploading " + what + ": the registry gave no upload location");
  return res.url.resolve(*loc);
}

std::string read_range(int fd, std::uint64_t off, std::uint64_t len, const fs::path& path) {
  std::string buf(len, '\0');
  std::uint64_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, buf.data() + done, len - done, static_cast<off_t>(off + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", path.string());
    }
    if (n == 0) throw UserError(path.string() + ": shorter than its manifest says");
    done += static_cast<std::uint64_t>(n);
  }
  return buf;
}

void check_created(const HttpResponse& res, const std::string& digest, const char* what) {
  if (res.status != 201 && res.status != 204)
    throw UserError(std::string(what) + " " + digest + ": " + registry_error_text(res));
  if (auto d = res.header("docker-content-digest"); d && d->starts_with("sha256:") && *d != digest)
    throw UserError(std::string(what) + " " + digest + ": the registry stored " + *d);
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

PushResult push_image(ImageStore& store, std::string_view ref_text, const PushOptions& opts) {
  ImageReference ref = parse_reference(ref_text);
  if (!ref.digest.empty()) throw UserError("push " + std::string(ref_text) + ": cannot push to a digest reference; give a tag");
  return with_context("push " + ref.familiar(), [&]() -> PushResult {
    Emitter emit(opts.progress);
    Image im = store.get(ref.str());
    std::string manifest_bytes = store.manifest_json(im);
    Manifest m = parse_manifest(manifest_bytes, im.manifest_media_type);
    if (m.is_index) throw UserError("the stored manifest is an index; berth pushes single-platform images");
    std::vector<Descriptor> blobs;
    std::set<std::string> seen;
    for (auto& d : m.layers)
      if (seen.insert(d.digest).second) blobs.push_back(d);
    blobs.push_back(m.config);
    for (auto& d : blobs)
      if (!store.has_blob(d.digest)) throw UserError("blob " + d.digest + " of the image is missing from the store");

    // Mount sources need pull access to them in the same token.
    std::vector<std::string> scopes{"repository:" + ref.repository + ":pull,push"};
    std::vector<std::vector<std::string>> sources;
    for (auto& d : blobs) {
      sources.push_back(blob_sources(opts.registry.state_root, ref.registry, d.digest, ref.repository));
      for (auto& s : sources.back())
        if (std::find(scopes.begin(), scopes.end(), "repository:" + s + ":pull") == scopes.end())
          scopes.push_back("repository:" + s + ":pull");
    }
    RegistrySession session(opts.registry, ref.registry, scopes);
    emit(TransferEvent::Kind::Message, "", "The push refers to repository [" + ref.name() + "]");

    PushResult result;
    std::mutex result_mu;
    auto push_blob = [&](size_t index) {
      const Descriptor& d = blobs[index];
      std::string id = d.digest.substr(7, 12);
      std::string base = "/v2/" + ref.repository + "/blobs/";
      HttpResponse head = session.send(HttpRequest{"HEAD", session.url(base + d.digest), {}, {}, {}});
      if (head.status == 200) {
        emit(TransferEvent::Kind::Exists, id, "Layer already exists", d.size, d.size);
        std::lock_guard lk(result_mu);
        ++result.existed;
        return;
      }
      std::optional<Url> upload;
      for (auto& src : sources[index]) {
        HttpResponse res = session.send(HttpRequest{
            "POST", session.url(base + "uploads/?mount=" + url_escape(d.digest) + "&from=" + url_escape(src)), {}, {}, {}});
        if (res.status == 201) {
          emit(TransferEvent::Kind::Done, id, "Mounted from " + src, d.size, d.size);
          std::lock_guard lk(result_mu);
          ++result.mounted;
          return;
        }
        if (res.status == 202) {  // mount refused, an ordinary upload session started instead
          upload = upload_url(res, d.digest);
          break;
        }
        log::debug("push: mounting {} from {}: {}", d.digest, src, registry_error_text(res));
      }
      if (!upload) {
        HttpResponse res = session.send(HttpRequest{"POST", session.url(base + "uploads/"), {}, {}, {}});
        if (res.status != 202) throw UserError("starting upload of " + d.digest + ": " + registry_error_text(res));
        upload = upload_url(res, d.digest);
      }
      fs::path path = store.blob_path(d.digest);
      emit(TransferEvent::Kind::Progress, id, "Pushing", 0, d.size);
      if (opts.chunk_size > 0 && d.size > opts.chunk_size) {
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) throw_errno("open", path.string());
        for (std::uint64_t off = 0; off < d.size; off += opts.chunk_size) {
          std::uint64_t len = std::min<std::uint64_t>(opts.chunk_size, d.size - off);
          HttpRequest req{"PATCH", *upload, {}, read_range(fd.get(), off, len, path), {}};
          req.headers.emplace_back("Content-Type", "application/octet-stream");
          req.headers.emplace_back("Content-Range", std::to_string(off) + "-" + std::to_string(off + len - 1));
          HttpResponse res = session.send(req);
          if (res.status != 202) throw UserError("uploading " + d.digest + ": " + registry_error_text(res));
          upload = upload_url(res, d.digest);
          emit(TransferEvent::Kind::Progress, id, "Pushing", off + len, d.size);
        }
        Url fin = *upload;
        fin.target = with_query(fin.target, "digest=" + url_escape(d.digest));
        HttpRequest req{"PUT", fin, {}, {}, {}};
        req.headers.emplace_back("Content-Type", "application/octet-stream");
        check_created(session.send(req), d.digest, "uploading");
      } else {
        Url fin = *upload;
        fin.target = with_query(fin.target, "digest=" + url_escape(d.digest));
        HttpRequest req{"PUT", fin, {}, {}, path};
        req.headers.emplace_back("Content-Type", "application/octet-stream");
        check_created(session.send(req), d.digest, "uploading");
      }
      emit(TransferEvent::Kind::Done, id, "Pushed", d.size, d.size);
      std::lock_guard lk(result_mu);
      result.uploaded_bytes += d.size;
    };

    std::atomic<size_t> next{0};
    std::atomic<bool> stop{false};
    std::exception_ptr first_error;
    std::mutex error_mu;
    auto worker = [&] {
      for (;;) {
        size_t i = next.fetch_add(1);
        if (i >= blobs.size() || stop.load()) return;
        try {
          push_blob(i);
        } catch (...) {
          std::lock_guard lk(error_mu);
          if (!first_error) first_error = std::current_exception();
          stop = true;
          return;
        }
      }
    };
    int n = std::min<int>(std::clamp(opts.max_concurrent, 1, 16), static_cast<int>(blobs.size()));
    {
      std::vector<std::jthread> threads;
      for (int t = 1; t < n; ++t) threads.emplace_back(worker);
      worker();
    }
    if (first_error) std::rethrow_exception(first_error);

    std::string digest = sha256_digest(manifest_bytes);
    HttpRequest req{"PUT", session.url("/v2/" + ref.repository + "/manifests/" + ref.tag), {}, manifest_bytes, {}};
    req.headers.emplace_back("Content-Type", m.media_type);
    check_created(session.send(req), digest, "storing manifest");
    result.manifest_digest = digest;
    result.manifest_size = manifest_bytes.size();
    std::vector<std::string> digests;
    for (auto& d : blobs) digests.push_back(d.digest);
    record_blob_sources(opts.registry.state_root, ref.registry, ref.repository, digests);
    emit(TransferEvent::Kind::Message, "",
         ref.tag + ": digest: " + digest + " size: " + std::to_string(manifest_bytes.size()));
    return result;
  });
}

fs::path login(const RegistryOptions& opts, std::string_view server, const Credentials& creds) {
  std::string reg = normalize_registry_name(server);
  return with_context("login to " + reg, [&] {
    if (creds.username.empty()) throw UserError("a user name is required");
    RegistrySession session(opts, reg, {}, creds);
    session.verify_login();
    fs::path path = docker_config_path(opts);
    store_credentials(path, reg, creds);
    return path;
  });
}

}  // namespace berth::engine
