#pragma once
// Whether text holds a control character (C0 or DEL): a value that does may not be written as one
// line of a file (a newline would add lines of the writer's choosing).
#include <algorithm>
#include <string_view>

namespace berth {

inline bool has_control_char(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace berth
