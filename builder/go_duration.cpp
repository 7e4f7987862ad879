// Go duration syntax: an optional sign, then one or more decimal numbers each with a unit.
#include "builder/go_duration.hpp"

#include <cmath>
#include <string>

namespace berth::builder {

std::optional<int64_t> parse_go_duration_ns(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) neg = s[0] == '-', s.remove_prefix(1);
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    bool digits = false;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) digits |= s[i] != '.', ++i;
    if (!digits) return std::nullopt;
    long double v = std::stold(std::string(s.substr(0, i)));
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && !std::isdigit(static_cast<unsigned char>(s[u])) && s[u] != '.') ++u;
    auto unit = s.substr(0, u);
    s.remove_prefix(u);
    long double scale;
    if (unit == "ns") scale = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") scale = 1e3;
    else if (unit == "ms") scale = 1e6;
    else if (unit == "s") scale = 1e9;
    else if (unit == "m") scale = 60e9;
    else if (unit == "h") scale = 3600e9;
    else return std::nullopt;
    total += v * scale;
  }
  if (total > 9.2e18L) return std::nullopt;
  auto ns = static_cast<int64_t>(std::llround(total));
  return neg ? -ns : ns;
}

}  // namespace berth::builder
