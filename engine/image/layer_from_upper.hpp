#pragma once
// A container's (or a build step's) overlay upper directory as an image layer: the one
// conversion `container commit` and every filesystem-changing build step make.
#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/image/image_store.hpp"

namespace berth::engine {

struct LayerBlob {
  std::string digest;      // the stored blob ("sha256:<hex>")
  std::string diff_id;     // digest of the uncompressed tar (== digest: stored uncompressed)
  std::int64_t size = 0;   // blob bytes
  std::string media_type;  // OCI layer media type
};

// Writes `upper` as an OCI layer tar straight into the store's blobs, hashing as it goes (one
// pass, no temp copy): whiteouts become ".wh." entries, opaque directories ".wh..wh..opq";
// owners, modes, xattrs (but overlay's own) and mtimes kept. Stored uncompressed: a local layer
// is read back at once to be unpacked, and compression would cost more than it saves there.
// The blob exists afterwards whatever the caller does next: ImageStore::add_layer_image removes
// it again when the image it was for fails. Throws SysError/UserError naming the entry.
LayerBlob store_layer_from_upper(ImageStore& store, const std::filesystem::path& upper);

}  // namespace berth::engine
