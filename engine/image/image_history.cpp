#include "engine/image/image_history.hpp"

#include <algorithm>

#include "engine/image/store_internal.hpp"

namespace berth::engine {

std::vector<HistoryRow> image_history(const ImageStore& store, const Image& image) {
  ImageConfig cfg = store.config(image);
  std::vector<HistoryRow> rows;
  std::size_t layer = 0;
  auto next_size = [&]() -> std::int64_t {
    if (layer >= image.chain_ids.size()) return 0;
    return store::layer_size(store.dir(), image.chain_ids[layer++]);
  };
  for (const auto& h : cfg.history) {
    HistoryRow r{"", h.created, h.created_by, h.comment, 0, h.empty_layer};
    if (!h.empty_layer) r.size = next_size();
    rows.push_back(std::move(r));
  }
  // Layers the history does not account for (an image whose config recorded too few entries).
  while (layer < image.chain_ids.size()) rows.push_back(HistoryRow{"", cfg.created, "", "", next_size(), false});
  std::reverse(rows.begin(), rows.end());
  if (!rows.empty()) rows.front().id = image.id;
  return rows;
}

}  // namespace berth::engine
