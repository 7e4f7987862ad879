#include "compose/tree.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace berth::compose {

Node::Node() = default;

const Node* Node::find(const std::string& key) const {
    for (const auto& [k, v] : fields)
        if (k == key) return &v;
    return nullptr;
}

Node* Node::find(const std::string& key) {
    for (auto& [k, v] : fields)
        if (k == key) return &v;
    return nullptr;
}

Node& Node::set(const std::string& key, Node value) {
    if (kind != Kind::Map) {
        kind = Kind::Map;
        fields.clear();
    }
    if (Node* existing = find(key)) return *existing = std::move(value);
    fields.emplace_back(key, std::move(value));
    return fields.back().second;
}

bool Node::erase(const std::string& key) {
    for (auto it = fields.begin(); it != fields.end(); ++it)
        if (it->first == key) {
            fields.erase(it);
            return true;
        }
    return false;
}

namespace {

// Length of the run of decimal digits at s[i].
size_t digits(const std::string& s, size_t i) {
    size_t n = 0;
    while (i + n < s.size() && std::isdigit(static_cast<unsigned char>(s[i + n]))) ++n;
    return n;
}

// YAML 1.2 core schema: [-+]?[0-9]+
bool is_int(const std::string& s) {
    size_t i = !s.empty() && (s[0] == '-' || s[0] == '+');
    return i < s.size() && digits(s, i) == s.size() - i;
}

// 0o[0-7]+ | 0x[0-9a-fA-F]+
bool is_oct_hex(const std::string& s) {
    if (s.size() < 3 || s[0] != '0' || (s[1] != 'o' && s[1] != 'x')) return false;
    for (size_t i = 2; i < s.size(); ++i) {
        char c = s[i];
        bool ok = s[1] == 'o' ? (c >= '0' && c <= '7') : std::isxdigit(static_cast<unsigned char>(c)) != 0;
        if (!ok) return false;
    }
    return true;
}

// [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE][-+]?[0-9]+ )?
bool is_float(const std::string& s) {
    size_t i = !s.empty() && (s[0] == '-' || s[0] == '+');
    size_t whole = digits(s, i);
    i += whole;
    if (i < s.size() && s[i] == '.') {
        size_t frac = digits(s, i + 1);
        if (whole == 0 && frac == 0) return false;
        i += 1 + frac;
    } else if (whole == 0) {
        return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
        size_t exp = digits(s, i);
        if (exp == 0) return false;
        i += exp;
    }
    return i == s.size();
}

// (Hand-written matchers: std::regex_match costs microseconds per scalar, and every unquoted
// scalar of a project file comes through here.)
nlohmann::json typed_scalar(const std::string& s) {
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
    if (is_int(s)) {
        errno = 0;
        long long v = std::strtoll(s.c_str(), nullptr, 10);
        if (errno == 0) return v;
    }
    if (is_oct_hex(s)) return std::strtoll(s.c_str() + 2, nullptr, s[1] == 'o' ? 8 : 16);
    if (is_float(s)) return std::strtod(s.c_str(), nullptr);
    return s;
}

}  // namespace

nlohmann::json to_json(const Node& n) {
    switch (n.kind) {
        case Node::Kind::Null:
            return nullptr;
        case Node::Kind::Scalar:
            return n.quoted ? nlohmann::json(n.scalar) : typed_scalar(n.scalar);
        case Node::Kind::Seq: {
            auto out = nlohmann::json::array();
            for (const auto& i : n.items)
                if (i.tag != "!reset") out.push_back(to_json(i));
            return out;
        }
        case Node::Kind::Map: {
            auto out = nlohmann::json::object();
            for (const auto& [k, v] : n.fields)
                if (v.tag != "!reset") out[k] = to_json(v);
            return out;
        }
    }
    return nullptr;
}

const Node* find_path(const Node& root, const std::vector<std::string>& path) {
    const Node* cur = &root;
    for (const auto& p : path) {
        if (cur->is_map()) {
            cur = cur->find(p);
        } else if (cur->is_seq()) {
            char* end = nullptr;
            unsigned long i = std::strtoul(p.c_str(), &end, 10);
            if (*end || i >= cur->items.size()) return nullptr;
            cur = &cur->items[i];
        } else {
            return nullptr;
        }
        if (!cur) return nullptr;
    }
    return cur;
}

void fail(const Node& at, const std::string& path, const std::string& message) {
    // a message quoting a multi-line value stays one line
    std::string one_line;
    for (char c : message) one_line += c == '\n' ? std::string("\\n") : c == '\r' ? std::string("\\r") : std::string(1, c);
    throw ConfigError(at.mark, path, one_line);
}

}  // namespace berth::compose
