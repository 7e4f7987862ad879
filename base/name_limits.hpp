#pragma once
// The longest project, service, volume or network name berth takes. These names become file
// names (NAME_MAX is 255 bytes, with suffixes added), container names and DNS names; a longer
// one is refused with one line rather than failing later, half-made, in a syscall.
#include <cstddef>
#include <string>

namespace berth {

inline constexpr std::size_t kMaxNameLength = 128;

// A name as an error message shows it: at most 40 characters of it.
inline std::string shown_name(const std::string& name) {
  return name.size() <= 40 ? name : name.substr(0, 40) + "... (" + std::to_string(name.size()) + " characters)";
}

}  // namespace berth
