#pragma once
// A network namespace's traffic counters, from /proc/<pid>/net/dev (the namespace of that pid).
#include <cstdint>
#include <string_view>
#include <utility>

namespace berth::engine {

// Received and transmitted bytes summed over every interface but lo.
std::pair<std::uint64_t, std::uint64_t> parse_net_dev(std::string_view text);

}  // namespace berth::engine
