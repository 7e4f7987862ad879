// Key paths and "did you mean" suggestions for validation messages.
#include <algorithm>
#include <cctype>

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

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Two-row Levenshtein: property names are short, no need for anything cleverer.
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
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
