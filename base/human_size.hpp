#pragma once
// Sizes as docker prints them: decimal units ("1.2MB", "532kB"), with three significant digits
// (listings) or one decimal (progress lines, whose width must not jump).
#include <cstdint>
#include <string>

namespace berth {

enum class SizeDigits { Significant3, OneDecimal };

std::string human_size(std::uint64_t bytes, SizeDigits digits = SizeDigits::Significant3);

}  // namespace berth

namespace berth {

// Binary units with four significant digits, as docker stats prints memory ("1.953MiB").
std::string binary_size(std::uint64_t bytes);

}  // namespace berth
