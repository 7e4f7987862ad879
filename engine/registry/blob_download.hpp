#pragma once
// Downloading blobs: streamed to a partial file while hashed, resumed with Range requests after an
// interruption (in this pull, or a later one: the partial file stays in images/tmp), verified
// against the descriptor's digest and size, then renamed into the store's blobs/.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "engine/image/image_store.hpp"
#include "engine/registry/manifest.hpp"
#include "engine/registry/session.hpp"

namespace berth::engine::registry {

// Byte progress of one blob: (done, total); `resumed_at` > 0 once when a download resumes.
struct BlobProgress {
  std::function<void(std::uint64_t done, std::uint64_t total)> bytes;
  std::function<void(std::uint64_t resumed_at)> resumed;
};

// images/tmp/pull-<hex>.partial
std::filesystem::path partial_blob_path(const ImageStore& store, const std::string& digest);

// Makes sure the blob is in the store. Returns the number of bytes fetched over the network
// (0 when it was stored already). Concurrent pulls of one blob (threads or processes) wait for
// each other through a lock on the partial file. Throws UserError on a digest or size mismatch
// (the bad bytes are discarded), TransportError/UserError when the registry fails; the partial
// file is kept for a transport failure so that the next pull resumes it.
std::uint64_t download_blob(RegistrySession& session, const std::string& repository, const Descriptor& desc,
                            ImageStore& store, const BlobProgress& progress = {},
                            const std::atomic<bool>* stop = nullptr);

// A small blob (an image config) read into memory and verified.
std::string fetch_blob_bytes(RegistrySession& session, const std::string& repository, const Descriptor& desc);

}  // namespace berth::engine::registry
