#pragma once
// An image's history as `docker image history` shows it: newest first, one row per history
// entry, each layer-making entry matched with its layer's size.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/image/image_store.hpp"

namespace berth::engine {

struct HistoryRow {
  std::string id;  // the image id on the top row, "" (docker's "<missing>") below it
  std::string created;
  std::string created_by;
  std::string comment;
  std::int64_t size = 0;  // unpacked bytes of the row's layer; 0 for empty_layer rows
  bool empty_layer = false;
};

std::vector<HistoryRow> image_history(const ImageStore& store, const Image& image);

}  // namespace berth::engine
