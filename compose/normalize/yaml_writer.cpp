#include "compose/normalize/yaml_writer.hpp"

#include <string_view>

namespace berth::compose {
namespace {

using json = nlohmann::json;

bool lower_equals(std::string_view s, std::string_view word) {
    if (s.size() != word.size()) return false;
    for (size_t i = 0; i < s.size(); ++i)
        if ((s[i] | 0x20) != word[i]) return false;
    return true;
}

// Would a YAML reader take this plain scalar for something other than a string? Numbers in every
// form YAML 1.1 or 1.2 knows (1, -1.5, 1e3, 0x1f, 0o17, 1_000, 12:30 sexagesimal) are approximated
// by "starts like a number, has a digit and holds only number characters"; that quotes a few
// strings that need not be ("1.2.3"), never the reverse.
bool reads_as_other_type(std::string_view s) {
    for (std::string_view w : {"null", "~", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", "+.inf", "-.inf", ".nan"})
        if (lower_equals(s, w)) return true;
    const char c = s.front();
    if (!(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
    if (s.find_first_of("0123456789") == std::string_view::npos) return false;
    for (char ch : s)
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') ||
              std::string_view("xXoO._+-:").find(ch) != std::string_view::npos))
            return false;
    return true;
}

bool plain_safe(std::string_view s) {
    if (s.empty() || s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
    if (std::string_view("!&*{}[]|>'\"%@`#,").find(s.front()) != std::string_view::npos) return false;
    if ((s.front() == '-' || s.front() == '?' || s.front() == ':') && (s.size() == 1 || s[1] == ' ')) return false;
    if (s.starts_with("---") || s.starts_with("...") || s == "<<") return false;
    for (unsigned char ch : s)
        if (ch < 0x20 || ch == 0x7f) return false;
    if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) return false;
    return !reads_as_other_type(s);
}

void scalar(std::string& out, const json& j) {
    if (j.is_string()) {
        const auto& s = j.get_ref<const std::string&>();
        out += plain_safe(s) ? s : j.dump();
    } else if (j.is_object()) {
        out += "{}";
    } else if (j.is_array()) {
        out += "[]";
    } else {
        out += j.dump();  // numbers, booleans, null
    }
}

bool is_block(const json& j) { return (j.is_object() || j.is_array()) && !j.empty(); }

// A non-empty map or sequence whose first line starts at the cursor and the others at `indent`.
void block(std::string& out, const json& j, size_t indent) {
    bool first = true;
    auto lead = [&] {
        if (!first) out.append(indent, ' ');
        first = false;
    };
    if (j.is_object()) {
        for (const auto& [k, v] : j.items()) {
            lead();
            scalar(out, json(k));
            out += ':';
            if (is_block(v)) {
                // sequences and maps under a key are indented, as yaml-cpp and compose print them
                out += '\n';
                out.append(indent + 2, ' ');
                block(out, v, indent + 2);
            } else {
                out += ' ';
                scalar(out, v);
                out += '\n';
            }
        }
    } else {
        for (const auto& v : j) {
            lead();
            out += "- ";
            if (is_block(v)) {
                block(out, v, indent + 2);
            } else {
                scalar(out, v);
                out += '\n';
            }
        }
    }
}

}  // namespace

std::string yaml_text(const json& value) {
    std::string out;
    if (is_block(value)) {
        block(out, value, 0);
    } else {
        scalar(out, value);
        out += '\n';
    }
    return out;
}

}  // namespace berth::compose
