#include "base/human_size.hpp"

#include <fmt/core.h>

namespace berth {

std::string human_size(std::uint64_t bytes, SizeDigits digits) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  if (u == 0) return fmt::format("{}B", bytes);
  return digits == SizeDigits::Significant3 ? fmt::format("{:.3g}{}", v, units[u]) : fmt::format("{:.1f}{}", v, units[u]);
}

}  // namespace berth

namespace berth {

std::string binary_size(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  return fmt::format("{:.4g}{}", v, units[u]);
}

}  // namespace berth
