#include "compose/load/merge.hpp"

#include <set>

namespace berth::compose::load {
namespace {

// "services.web.environment" matches "services.*.environment".
bool matches(const std::string& path, const std::string& pattern) {
    size_t i = 0, j = 0;
    while (i < path.size() && j < pattern.size()) {
        if (pattern[j] == '*') {
            while (i < path.size() && path[i] != '.') ++i;
            ++j;
        } else if (pattern[j] == path[i]) {
            ++i;
            ++j;
        } else {
            return false;
        }
    }
    return i == path.size() && j == pattern.size();
}

bool any_match(const std::string& path, std::initializer_list<const char*> patterns) {
    for (const char* p : patterns)
        if (matches(path, p)) return true;
    return false;
}

// List "K=V" / "K" (or "host:ip" for extra_hosts) or a mapping -> a mapping.
Node to_map(const Node& n, bool hosts) {
    if (!n.is_seq()) return n;
    Node out = Node::make_map(n.mark);
    for (const auto& item : n.items) {
        if (!item.is_scalar()) return n;  // leave odd input to the schema
        const std::string& s = item.scalar;
        size_t eq = s.find('=');
        if (hosts && eq == std::string::npos) eq = s.find(':');
        if (eq == std::string::npos) {
            Node v;
            v.mark = item.mark;
            out.set(s, v);
        } else {
            out.set(s.substr(0, eq), Node::make_scalar(s.substr(eq + 1), item.mark));
        }
    }
    return out;
}

// depends_on / networks list form -> mapping with null values.
Node names_to_map(const Node& n) {
    if (!n.is_seq()) return n;
    Node out = Node::make_map(n.mark);
    for (const auto& item : n.items)
        if (item.is_scalar()) {
            Node v;
            v.mark = item.mark;
            out.set(item.scalar, v);
        }
    return out;
}

std::string volume_key(const Node& v) {
    if (v.is_map()) {
        const Node* t = v.find("target");
        return t && t->is_scalar() ? t->scalar : "";
    }
    if (!v.is_scalar()) return "";
    const std::string& s = v.scalar;
    size_t c = s.find(':');
    if (c == std::string::npos) return s;
    size_t c2 = s.find(':', c + 1);
    return s.substr(c + 1, c2 == std::string::npos ? std::string::npos : c2 - c - 1);
}

std::string source_key(const Node& v) {
    if (v.is_map()) {
        const Node* t = v.find("source");
        return t && t->is_scalar() ? t->scalar : "";
    }
    return v.is_scalar() ? v.scalar : "";
}

std::string whole_key(const Node& v) { return to_json(v).dump(); }

// Appends `over` to `base`; an item whose key is already there replaces it in place.
Node append_unique(const Node& base, const Node& over, std::string (*key)(const Node&)) {
    if (!base.is_seq() || !over.is_seq()) return over;
    Node out = base;
    for (const auto& item : over.items) {
        std::string k = key(item);
        bool replaced = false;
        if (!k.empty())
            for (auto& existing : out.items)
                if (key(existing) == k) {
                    existing = item;
                    replaced = true;
                    break;
                }
        if (!replaced) out.items.push_back(item);
    }
    return out;
}

Node merge_maps(const Node& base, const Node& over, const std::string& path);

Node merge_at(const Node& base, const Node& over, const std::string& path) {
    if (over.tag == "!override") {
        Node o = over;
        o.tag.clear();
        return o;
    }
    if (over.is_null()) return base;
    if (any_match(path, {"services.*.command", "services.*.entrypoint", "services.*.healthcheck.test"})) return over;
    if (any_match(path, {"services.*.environment", "services.*.labels", "services.*.annotations", "services.*.build.args",
                         "services.*.build.labels", "services.*.deploy.labels", "services.*.sysctls",
                         "networks.*.labels", "volumes.*.labels"}))
        return merge_maps(to_map(base, false), to_map(over, false), path);
    if (any_match(path, {"services.*.extra_hosts", "services.*.build.extra_hosts"}))
        return merge_maps(to_map(base, true), to_map(over, true), path);
    if (any_match(path, {"services.*.depends_on", "services.*.networks"}))
        return merge_maps(names_to_map(base), names_to_map(over), path);
    if (any_match(path, {"services.*.volumes"})) return append_unique(base, over, volume_key);
    if (any_match(path, {"services.*.secrets", "services.*.configs"})) return append_unique(base, over, source_key);
    if (any_match(path, {"services.*.ports", "services.*.expose", "services.*.dns", "services.*.dns_search",
                         "services.*.dns_opt", "services.*.env_file", "services.*.tmpfs", "services.*.cap_add",
                         "services.*.cap_drop", "services.*.devices", "services.*.device_cgroup_rules", "services.*.security_opt", "services.*.profiles",
                         "services.*.links", "services.*.external_links", "services.*.volumes_from"})) {
        if (base.is_scalar() || over.is_scalar()) {  // string forms: turn into one-item lists first
            Node b = base, o = over;
            if (b.is_scalar()) b = Node::make_seq(base.mark), b.items.push_back(base);
            if (o.is_scalar()) o = Node::make_seq(over.mark), o.items.push_back(over);
            return append_unique(b, o, whole_key);
        }
        return append_unique(base, over, whole_key);
    }
    if (base.is_map() && over.is_map()) return merge_maps(base, over, path);
    if (base.is_seq() && over.is_seq() && path.rfind("services.", 0) == 0) {
        Node out = base;
        out.items.insert(out.items.end(), over.items.begin(), over.items.end());
        return out;
    }
    return over;
}

Node merge_maps(const Node& base, const Node& over, const std::string& path) {
    if (!base.is_map() || !over.is_map()) return over;
    Node out = base;
    for (const auto& [k, v] : over.fields) {
        std::string p = path.empty() ? k : path + "." + k;
        if (v.tag == "!reset") {
            out.erase(k);
            continue;
        }
        if (Node* existing = out.find(k))
            *existing = merge_at(*existing, v, p);
        else
            out.fields.emplace_back(k, v);
    }
    return out;
}

}  // namespace

Node merge_nodes(const Node& base, const Node& over, const std::string& section) {
    if (base.is_map() && over.is_map()) return merge_maps(base, over, section);
    return merge_at(base, over, section);
}

void strip_merge_tags(Node& n) {
    if (n.is_map()) {
        std::erase_if(n.fields, [](const auto& kv) { return kv.second.tag == "!reset"; });
        for (auto& [k, v] : n.fields) strip_merge_tags(v);
    } else if (n.is_seq()) {
        std::erase_if(n.items, [](const Node& i) { return i.tag == "!reset"; });
        for (auto& i : n.items) strip_merge_tags(i);
    }
    if (n.tag == "!override") n.tag.clear();
}

}  // namespace berth::compose::load
