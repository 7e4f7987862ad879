#pragma once
// Sizes as docker prints them: decimal units, three significant digits ("1.2MB", "532kB").
#include <cstdint>
#include <string>

namespace berth::cli {

std::string human_size(std::int64_t bytes);

}  // namespace berth::cli
