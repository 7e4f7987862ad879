#pragma once
// Durations as Go's time.ParseDuration reads them ("30s", "1m30s", "1.5h", "250ms"), because
// HEALTHCHECK's flags are written that way. nullopt when the text is not one.
#include <cstdint>
#include <optional>
#include <string_view>

namespace berth::builder {
std::optional<int64_t> parse_go_duration_ns(std::string_view text);
}
