// Key paths and "did you mean" suggestions for validation messages.
#include <algorithm>
#include <cctype>

#include "base/edit_distance.hpp"
#include "schema/validate.hpp"

namespace berth::schema {

namespace {

bool is_plain_key(const std::string& key) {
    if (key.empty()) return false;
    return std::all_of(key.begin(), key.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-';
    });
}

bool is_index(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

std::string format_path(const std::vector<std::string>& path) {
    std::string out;
    for (const auto& part : path) {
        if (is_index(part)) {
            out += '[';
            out += part;
            out += ']';
            continue;
        }
        if (!out.empty()) out += '.';
        if (is_plain_key(part)) {
            out += part;
        } else {
            out += '"';
            for (char c : part) {
                if (c == '"' || c == '\\') out += '\\';
                out += c;
            }
            out += '"';
        }
    }
    return out;
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
    std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
    std::string best;
    std::size_t best_distance = limit + 1;
    for (const auto& c : candidates) {
        std::size_t d = edit_distance(word, c);
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    return best_distance <= limit ? best : std::string();
}

}  // namespace berth::schema
