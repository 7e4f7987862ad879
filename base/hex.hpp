#pragma once
// Lower-case hex of bytes, and random hex names (container ids, volume names, run suffixes).
#include <string>
#include <string_view>

namespace berth {

std::string to_hex(const void* data, std::size_t len);
inline std::string to_hex(std::string_view bytes) { return to_hex(bytes.data(), bytes.size()); }
// The inverse; throws std::invalid_argument on odd length or a non-hex digit.
std::string from_hex(std::string_view hex);
// `bytes` random bytes (getrandom) as 2*bytes hex digits.
std::string random_hex(std::size_t bytes);

}  // namespace berth
