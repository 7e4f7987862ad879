#include "compose/normalize/values.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "base/control_chars.hpp"

namespace berth::compose::norm {

std::string str(const Node& n, const std::string& path) {
    if (n.is_null()) return "";
    if (!n.is_scalar()) fail(n, path, "must be a string");
    return n.scalar;
}

void require_one_line(const Node& n, const std::string& path) {
    static const char* kWhy = "must not contain control characters (it is written as one line of a file in the container)";
    if (n.is_scalar() && has_control_char(n.scalar)) fail(n, path, kWhy);
    for (std::size_t i = 0; i < n.items.size(); ++i) require_one_line(n.items[i], path + "[" + std::to_string(i) + "]");
    for (const auto& [k, v] : n.fields) {
        if (has_control_char(k)) fail(v, path, kWhy);
        require_one_line(v, path + "." + k);
    }
}

std::string one_line(const Node& n, const std::string& path) {
    require_one_line(n, path);
    return str(n, path);
}

std::vector<std::string> one_line_list(const Node& n, const std::string& path) {
    require_one_line(n, path);
    return string_list(n, path);
}

bool boolean(const Node& n, const std::string& path) {
    std::string s = str(n, path);
    if (s == "true" || s == "True" || s == "TRUE" || s == "yes" || s == "1") return true;
    if (s == "false" || s == "False" || s == "FALSE" || s == "no" || s == "0" || s.empty()) return false;
    fail(n, path, "\"" + s + "\" is not a boolean");
}

int64_t integer(const Node& n, const std::string& path) {
    std::string s = str(n, path);
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end || errno) fail(n, path, "\"" + s + "\" is not an integer");
    return v;
}

double number(const Node& n, const std::string& path) {
    std::string s = str(n, path);
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end) fail(n, path, "\"" + s + "\" is not a number");
    return v;
}

std::optional<Duration> parse_duration(const std::string& s) {
    if (s.empty()) return std::nullopt;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') neg = s[0] == '-', ++i;
    double total = 0;
    bool any = false;
    while (i < s.size()) {
        size_t start = i;
        while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
        if (start == i) return std::nullopt;
        double v = std::strtod(s.substr(start, i - start).c_str(), nullptr);
        size_t ustart = i;
        while (i < s.size() && !std::isdigit(static_cast<unsigned char>(s[i])) && s[i] != '.') ++i;
        std::string unit = s.substr(ustart, i - ustart);
        double mult;
        if (unit == "ns") mult = 1;
        else if (unit == "us" || unit == "µs") mult = 1e3;
        else if (unit == "ms") mult = 1e6;
        else if (unit == "s" || (unit.empty() && !any && i == s.size())) mult = 1e9;
        else if (unit == "m") mult = 60e9;
        else if (unit == "h") mult = 3600e9;
        else return std::nullopt;
        total += v * mult;
        any = true;
    }
    return Duration(static_cast<int64_t>(std::llround(neg ? -total : total)));
}

std::optional<int64_t> parse_bytes(const std::string& raw) {
    std::string s;
    for (char c : raw) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    double v = std::strtod(s.substr(0, i).c_str(), nullptr);
    std::string unit = s.substr(i);
    while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
    if (unit.size() == 2 && unit[1] == 'b') unit.pop_back();
    if (unit.size() == 3 && unit.substr(1) == "ib") unit = unit.substr(0, 1);
    double mult;
    if (unit.empty() || unit == "b") mult = 1;
    else if (unit == "k") mult = 1024.0;
    else if (unit == "m") mult = 1024.0 * 1024;
    else if (unit == "g") mult = 1024.0 * 1024 * 1024;
    else if (unit == "t") mult = 1024.0 * 1024 * 1024 * 1024;
    else if (unit == "p") mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
    else return std::nullopt;
    return static_cast<int64_t>(v * mult);
}

Duration duration(const Node& n, const std::string& path) {
    auto d = parse_duration(str(n, path));
    if (!d) fail(n, path, "\"" + n.scalar + "\" is not a valid duration (e.g. 30s, 1m30s)");
    return *d;
}

int64_t bytes(const Node& n, const std::string& path) {
    auto b = parse_bytes(str(n, path));
    if (!b) fail(n, path, "\"" + n.scalar + "\" is not a valid size (e.g. 512m, 1g)");
    return *b;
}

std::vector<std::string> string_list(const Node& n, const std::string& path) {
    std::vector<std::string> out;
    if (n.is_null()) return out;
    if (n.is_scalar()) return {n.scalar};
    if (!n.is_seq()) fail(n, path, "must be a string or a list of strings");
    for (size_t i = 0; i < n.items.size(); ++i) out.push_back(str(n.items[i], path + "[" + std::to_string(i) + "]"));
    return out;
}

StringMap list_or_map(const Node& n, const std::string& path, const StringMap* lookup, bool hosts) {
    StringMap out;
    auto bare = [&](const std::string& k) {
        if (!lookup) {
            out[k] = "";
            return;
        }
        auto it = lookup->find(k);
        if (it != lookup->end()) out[k] = it->second;
    };
    if (n.is_null()) return out;
    if (n.is_map()) {
        for (const auto& [k, v] : n.fields) {
            if (v.is_null())
                bare(k);
            else
                out[k] = str(v, path + "." + k);
        }
        return out;
    }
    if (!n.is_seq()) fail(n, path, "must be a list or a mapping");
    for (size_t i = 0; i < n.items.size(); ++i) {
        std::string s = str(n.items[i], path + "[" + std::to_string(i) + "]");
        size_t eq = s.find('=');
        if (hosts && eq == std::string::npos) eq = s.find(':');
        if (eq == std::string::npos)
            bare(s);
        else
            out[s.substr(0, eq)] = s.substr(eq + 1);
    }
    return out;
}

std::vector<std::string> shell_split(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (quote) {
            if (c == quote) {
                quote = 0;
            } else if (c == '\\' && quote == '"' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == '$')) {
                cur += s[++i];
            } else {
                cur += c;
            }
        } else if (c == '\'' || c == '"') {
            quote = c;
            in_word = true;
        } else if (c == '\\' && i + 1 < s.size()) {
            cur += s[++i];
            in_word = true;
        } else if (std::isspace(static_cast<unsigned char>(c))) {
            if (in_word) out.push_back(cur), cur.clear(), in_word = false;
        } else {
            cur += c;
            in_word = true;
        }
    }
    if (in_word) out.push_back(cur);
    return out;
}

uint32_t file_mode(const Node& n, const std::string& path) {
    std::string text = str(n, path);
    const int base = 8;
    std::string digits = text.size() > 1 && text[0] == '0' && (text[1] == 'o' || text[1] == 'O') ? text.substr(2) : text;
    bool ok = !digits.empty() && digits.size() <= 11;
    for (char c : digits) ok = ok && c >= '0' && c < (base == 8 ? '8' : ':');
    if (!ok) fail(n, path, "invalid file mode \"" + text + "\"");
    unsigned long v = std::stoul(digits, nullptr, base);
    if (v > 07777) fail(n, path, "invalid file mode \"" + text + "\"");
    return static_cast<uint32_t>(v);
}

}  // namespace berth::compose::norm
