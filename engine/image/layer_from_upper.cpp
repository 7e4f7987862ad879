#include "engine/image/layer_from_upper.hpp"

#include <fcntl.h>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "engine/image/store_internal.hpp"
#include "engine/image/tree_tar.hpp"

namespace berth::engine {

LayerBlob store_layer_from_upper(ImageStore& store, const std::filesystem::path& upper) {
  UniqueFd dir(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) throw_errno("open", upper.string());
  auto w = store.blob_writer();
  TarWriter tar([&w](const void* p, std::size_t n) { w.write(p, n); });
  TreeTarOptions opts;
  opts.overlay_upper = true;
  tar.add(dir.get(), ".", "", opts, upper.string());
  tar.finish();
  LayerBlob out;
  out.size = static_cast<std::int64_t>(w.size());
  out.digest = w.commit();
  out.diff_id = out.digest;
  out.media_type = std::string(store::kOciLayer);
  return out;
}

}  // namespace berth::engine
