#include <cctype>

#include "base/error.hpp"
#include "base/name_limits.hpp"
#include "compose/load.hpp"

namespace berth::compose {

// As compose-go's NormalizeProjectName: lower-case, drop everything but [a-z0-9_-],
// and the result must start with a letter or digit.
std::string normalize_project_name(const std::string& raw) {
    std::string out;
    for (unsigned char c : raw) {
        c = static_cast<unsigned char>(std::tolower(c));
        if (std::isalnum(c) || c == '_' || c == '-') out.push_back(static_cast<char>(c));
    }
    size_t i = 0;
    while (i < out.size() && !std::isalnum(static_cast<unsigned char>(out[i]))) ++i;
    out.erase(0, i);
    if (out.size() > kMaxNameLength)
        throw UserError("invalid project name \"" + shown_name(raw) + "\": longer than " + std::to_string(kMaxNameLength) +
                        " characters");
    if (out.empty())
        throw UserError("invalid project name \"" + raw +
                        "\": must contain only lowercase letters, digits, dashes and underscores, "
                        "and start with a letter or digit");
    return out;
}

}  // namespace berth::compose
