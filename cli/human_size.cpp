#include "cli/human_size.hpp"

#include <fmt/core.h>

namespace berth::cli {

std::string human_size(std::int64_t b) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{}B", b) : fmt::format("{:.3g}{}", v, units[u]);
}

}  // namespace berth::cli
