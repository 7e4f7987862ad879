#include "compose/tree.hpp"

#include <cstdlib>
#include <regex>

namespace berth::compose {

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

nlohmann::json typed_scalar(const std::string& s) {
    static const std::regex int_re("[-+]?[0-9]+");
    static const std::regex oct_hex_re("0o[0-7]+|0x[0-9a-fA-F]+");
    static const std::regex float_re("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
    if (std::regex_match(s, int_re)) {
        errno = 0;
        long long v = std::strtoll(s.c_str(), nullptr, 10);
        if (errno == 0) return v;
    }
    if (std::regex_match(s, oct_hex_re)) return std::strtoll(s.c_str() + 2, nullptr, s[1] == 'o' ? 8 : 16);
    if (std::regex_match(s, float_re)) return std::strtod(s.c_str(), nullptr);
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
            for (const auto& i : n.items) out.push_back(to_json(i));
            return out;
        }
        case Node::Kind::Map: {
            auto out = nlohmann::json::object();
            for (const auto& [k, v] : n.fields) out[k] = to_json(v);
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
    throw ConfigError(at.mark, path, message);
}

}  // namespace berth::compose
