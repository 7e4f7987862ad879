#include "engine/runtime/net_dev.hpp"

#include <sstream>
#include <string>

namespace berth::engine {

std::pair<std::uint64_t, std::uint64_t> parse_net_dev(std::string_view text) {
  std::uint64_t rx = 0, tx = 0;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;  // the two header lines have '|' only
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name == "lo") continue;
    // rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes ...
    std::istringstream f(line.substr(colon + 1));
    std::uint64_t v[9] = {};
    for (auto& x : v)
      if (!(f >> x)) break;
    rx += v[0];
    tx += v[8];
  }
  return {rx, tx};
}

}  // namespace berth::engine
