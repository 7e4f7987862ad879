#pragma once
// Levenshtein edit distance, for "did you mean" suggestions (schema keys, Dockerfile keywords).
#include <cstddef>
#include <string_view>

namespace berth {

std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace berth
