#pragma once
// The registry client (issue 7): pull and push images over the OCI distribution API, and the
// credentials `berth login` keeps. Public API for the CLI and for orchestration (`up` pulls
// missing images through pull_image()).
//
// Transport: HTTPS with certificate verification by default (system store, SSL_CERT_FILE, extra
// CA files — the CLI's `--registry-ca FILE` and `$BERTH_REGISTRY_CA` —, `<root>/certs.d/<host:port>/*.crt`
// and `/etc/berth/certs.d/<host:port>/*.crt`, like Docker's certs.d). Plain HTTP only
// for registries listed as insecure (options, `<root>/registries.json`, `/etc/berth/registries.json`:
// {"insecure-registries": ["host:port", ...]}) and for loopback hosts: those try HTTPS first and
// fall back to HTTP when the server does not speak TLS (a certificate that fails verification on a
// loopback registry is still an error; insecure registries also skip verification, as Docker does).
// Auth: anonymous, Basic, Bearer tokens (WWW-Authenticate challenge); credentials from the Docker
// config file (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`, `auths.<host>.auth`).
//
// What ends in the store is always complete and verified: blobs and manifests are checked against
// their digests; a pull that fails leaves no image, ref, blob or layer behind. Interrupted layer
// downloads stay in `<root>/images/tmp/pull-<hex>.partial` (invisible to the store) and the next
// pull resumes them with a Range request.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/image/image_store.hpp"

namespace berth::engine {

// Where and how to reach registries; shared by pull, push and login.
struct RegistryOptions {
  std::filesystem::path state_root;               // for <root>/registries.json, <root>/certs.d
  std::vector<std::string> insecure_registries;   // "host:port" (added to the config files' list)
  std::vector<std::filesystem::path> ca_files;    // extra trusted CA certificates (PEM)
  std::filesystem::path docker_config;            // empty: $DOCKER_CONFIG/config.json or ~/.docker/config.json
  int timeout_seconds = 60;                       // connect / idle read timeout
};

// One progress event of a pull or push. `id` is the short (12 hex) blob digest, empty for
// messages about the whole image. Events for one id arrive in order; ids interleave.
struct TransferEvent {
  enum class Kind {
    Message,      // status line about the image: "latest: Pulling from library/x", "Digest: ..."
    Waiting,      // layer queued
    Exists,       // blob already stored ("Already exists") / already in the target repo on push
    Progress,     // bytes moved: current of total
    Resumed,      // a download resumed at `current` bytes (Range request)
    Verifying,    // download finished, digest checked
    Extracting,   // unpacking the layer
    Done,         // "Pull complete" / "Pushed" / "Mounted from <repo>" (status says which)
  };
  Kind kind = Kind::Message;
  std::string id;
  std::string status;
  std::uint64_t current = 0;
  std::uint64_t total = 0;
};
using TransferProgress = std::function<void(const TransferEvent&)>;  // called from worker threads, serialized

struct PullOptions {
  RegistryOptions registry;
  std::string platform;        // "os/arch[/variant]"; empty: the host's (linux/amd64, linux/arm64/v8, ...)
  int max_concurrent = 3;      // parallel layer downloads
  TransferProgress progress;   // may be empty
};

struct PullResult {
  Image image;
  std::string manifest_digest;  // of the image manifest stored
  std::string index_digest;     // of the index / manifest list it was selected from, if any
  bool up_to_date = false;      // the tag already pointed at this image: nothing was downloaded
  std::uint64_t downloaded_bytes = 0;
};

// Pulls `ref` ("redis", "host:5000/a/b:tag", "x@sha256:...") into the store and tags it.
// Throws UserError with one clear line: unknown repository / tag, unauthorized, no matching
// platform, digest mismatch, registry unreachable. `cancel`, when set, stops the pull early
// (it throws UserError("pull cancelled")).
PullResult pull_image(ImageStore& store, std::string_view ref, const PullOptions& opts,
                      const std::atomic<bool>* cancel = nullptr);

struct PushOptions {
  RegistryOptions registry;
  int max_concurrent = 3;
  // Blobs larger than this are uploaded in chunks of this size (PATCH ... PUT); smaller ones in
  // one PUT. 0: always monolithic.
  std::uint64_t chunk_size = 16u << 20;
  TransferProgress progress;
};

struct PushResult {
  std::string manifest_digest;
  std::uint64_t manifest_size = 0;
  std::uint64_t uploaded_bytes = 0;
  int mounted = 0;  // blobs mounted from another repository of the same registry
  int existed = 0;  // blobs the repository had already
};

// Pushes the stored image named `ref` (a tag of a local image) to the registry the reference names.
// The stored manifest is pushed byte for byte, so the digest stays what `berth images` shows.
PushResult push_image(ImageStore& store, std::string_view ref, const PushOptions& opts);

// ---- credentials ---------------------------------------------------------------------------------

// "docker.io" (and index.docker.io, registry-1.docker.io) -> "https://index.docker.io/v1/" as
// Docker keys its config; anything else: the host[:port] without scheme or path.
std::string credential_key(std::string_view registry);
// The registry a user names on `login` ("", "docker.io", "https://host:5000/v2/") -> "host:5000"
// form used in references ("" -> "docker.io").
std::string normalize_registry_name(std::string_view server);

struct Credentials {
  std::string username;
  std::string password;
};
// From the Docker config file; nullopt when none are stored for that registry.
std::optional<Credentials> load_credentials(const RegistryOptions& opts, std::string_view registry);

// Checks the credentials against the registry (GET /v2/ with Basic, or a token request) and on
// success stores them (base64 "auth") in the Docker config file (mode 0600, other keys kept).
// Throws UserError("login to X failed: unauthorized: ...") otherwise. Returns the config path.
std::filesystem::path login(const RegistryOptions& opts, std::string_view registry, const Credentials& creds);
// Removes stored credentials. Returns false when there were none.
bool logout(const RegistryOptions& opts, std::string_view registry);

// The platform pull_image chooses by default: "linux/amd64", "linux/arm64/v8", ...
std::string host_platform();

}  // namespace berth::engine
