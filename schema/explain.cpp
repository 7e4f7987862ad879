// Why a document fails the schema, in words a user can act on. valijson decides validity; this
// walker reproduces its verdict with messages: "did you mean" for unknown keys, the accepted
// types for type errors, and for oneOf/anyOf the message of the branch the value was meant for
// (the one of its type that got furthest) instead of every branch's complaint.
#include "schema/explain.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <mutex>
#include <regex>

#include "schema/formats.hpp"

namespace berth::schema::detail {

using json = nlohmann::json;
using Path = std::vector<std::string>;

// One schema object, with its keywords looked up once. A {"$ref": ...} is its target's node.
struct Node {
    std::vector<std::string> types;  // empty: any type
    const json* enumeration = nullptr;
    std::string pattern, format;
    const json* minimum = nullptr;  // kept as written: 1000, not 1000.0
    const json* maximum = nullptr;
    std::vector<std::string> required;
    std::map<std::string, const Node*, std::less<>> properties;
    std::vector<std::pair<std::string, const Node*>> pattern_properties;
    bool closed = false;                // additionalProperties: false
    const Node* additional = nullptr;   // additionalProperties: {schema}
    const Node* items = nullptr;
    bool unique_items = false;
    std::vector<const Node*> one_of, any_of;
};

namespace {

std::string render(const json& v) {
    std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
    if (s.size() > 80) s = s.substr(0, 77) + "...";
    return s;
}

std::string quote(const std::string& s) { return render(json(s)); }

// Names in YAML's vocabulary: users write mappings and lists, not objects and arrays.
std::string type_word(const std::string& t) {
    if (t == "object") return "mapping";
    if (t == "array") return "list";
    if (t == "null") return "null (empty)";
    return t;
}

std::string kind_of(const json& v) {
    switch (v.type()) {
        case json::value_t::object: return "a mapping";
        case json::value_t::array: return "a list";
        case json::value_t::string: return "a string";
        case json::value_t::boolean: return "a boolean";
        case json::value_t::null: return "null (empty)";
        case json::value_t::number_float: return "a number";
        default: return "an integer";
    }
}

bool has_type(const json& v, const std::string& t) {
    switch (v.type()) {
        case json::value_t::object: return t == "object";
        case json::value_t::array: return t == "array";
        case json::value_t::string: return t == "string";
        case json::value_t::boolean: return t == "boolean";
        case json::value_t::null: return t == "null";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned: return t == "number" || t == "integer";
        case json::value_t::number_float: {
            if (t == "number") return true;
            // A float with no fraction is an integer, whatever its size (no cast: a value
            // outside long long's range would be undefined behaviour; found by fuzzing).
            double d = v.get<double>();
            return t == "integer" && std::isfinite(d) && std::trunc(d) == d;
        }
        default: return false;
    }
}

std::string join_types(const std::vector<std::string>& types) {
    std::string out;
    for (std::size_t i = 0; i < types.size(); ++i) {
        if (i) out += i + 1 == types.size() ? " or " : ", ";
        std::string w = type_word(types[i]);
        bool vowel = std::string_view("aeiou").find(w[0]) != std::string_view::npos;
        out += w.rfind("null", 0) == 0 ? w : (vowel ? "an " : "a ") + w;
    }
    return out;
}

const std::regex& cached_regex(const std::string& pattern) {
    static std::mutex mu;
    static std::map<std::string, std::regex> cache;
    std::lock_guard lock(mu);
    auto it = cache.find(pattern);
    if (it == cache.end()) it = cache.emplace(pattern, std::regex(pattern)).first;
    return it->second;
}

// The schema's hot patterns are matched by hand: they run for every key of every service.
bool pattern_matches(const std::string& pattern, const std::string& s) {
    if (pattern == "^x-") return s.rfind("x-", 0) == 0;
    if (pattern == ".+" || pattern == "^.+$") return !s.empty();
    if (pattern == "^[a-zA-Z0-9._-]+$")
        return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '.' || c == '_' || c == '-';
        });
    if (pattern == "^[a-z]+$")
        return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= 'a' && c <= 'z'; });
    return std::regex_search(s, cached_regex(pattern));
}

void add(std::vector<Issue>& out, const Path& path, std::string msg, IssueKind kind = IssueKind::Other,
         std::vector<std::string> types = {}) {
    out.push_back(Issue{Violation{path, std::move(msg)}, kind, std::move(types)});
}

// Adds a type issue and returns true when the node has types that `value` has none of.
bool type_mismatch(const Node& n, const json& value, const Path& path, std::vector<Issue>& out) {
    if (n.types.empty()) return false;
    for (const auto& t : n.types)
        if (has_type(value, t)) return false;
    add(out, path, "must be " + join_types(n.types) + ", not " + kind_of(value), IssueKind::Type, n.types);
    return true;
}

std::string enum_message(const json& allowed, const json& value) {
    std::string list;
    std::vector<std::string> words;
    for (const auto& a : allowed) {
        if (!list.empty()) list += ", ";
        list += a.is_string() ? a.get<std::string>() : render(a);
        if (a.is_string()) words.push_back(a.get<std::string>());
    }
    std::string msg = render(value) + " is not one of: " + list;
    if (value.is_string()) {
        std::string near = closest_match(value.get<std::string>(), words);
        if (!near.empty()) msg += " (did you mean " + quote(near) + "?)";
    }
    return msg;
}

std::string unknown_key_message(const std::string& key, const Node& n) {
    if (n.properties.empty()) {
        // A mapping of names (services, networks, ...): the key itself is malformed.
        for (const auto& [pattern, _] : n.pattern_properties)
            if (pattern == "^[a-zA-Z0-9._-]+$")
                return quote(key) + " is not a valid name (use only letters, digits, \".\", \"_\" and \"-\")";
        return "key " + quote(key) + " is not allowed here";
    }
    std::vector<std::string> names;
    for (const auto& [name, _] : n.properties) names.push_back(name);
    std::string msg = "additional property " + quote(key) + " is not allowed";
    std::string near = closest_match(key, names);
    if (!near.empty()) msg += " (did you mean " + quote(near) + "?)";
    return msg;
}

std::size_t depth(const std::vector<Issue>& r) {
    std::size_t d = 0;
    for (const auto& i : r) d = std::max(d, i.violation.path.size());
    return d;
}

class Walker {
 public:
    explicit Walker(std::size_t limit) : limit_(limit) {}

    void check(const Node& n, const json& value, Path& path, std::vector<Issue>& out) {
        if (out.size() >= limit_) return;
        if (!n.one_of.empty() && !branches(n.one_of, true, value, path, out)) return;
        if (!n.any_of.empty() && !branches(n.any_of, false, value, path, out)) return;
        if (type_mismatch(n, value, path, out)) return;
        if (n.enumeration && std::find(n.enumeration->begin(), n.enumeration->end(), value) == n.enumeration->end()) {
            add(out, path, enum_message(*n.enumeration, value));
            return;
        }
        switch (value.type()) {
            case json::value_t::string: check_string(n, value, path, out); break;
            case json::value_t::object: check_object(n, value, path, out); break;
            case json::value_t::array: check_array(n, value, path, out); break;
            case json::value_t::number_integer:
            case json::value_t::number_unsigned:
            case json::value_t::number_float: check_number(n, value, path, out); break;
            default: break;
        }
    }

 private:
    void check_string(const Node& n, const json& value, Path& path, std::vector<Issue>& out) {
        if (!n.pattern.empty() && !pattern_matches(n.pattern, value.get_ref<const std::string&>())) {
            add(out, path, render(value) + " is not valid here (must match " + n.pattern + ")");
            return;
        }
        check_format_of(n, value, path, out);
    }

    static void check_format_of(const Node& n, const json& value, Path& path, std::vector<Issue>& out) {
        if (n.format.empty()) return;
        std::string msg = check_format(n.format, value);
        if (!msg.empty()) add(out, path, std::move(msg), IssueKind::Extra);
    }

    static void check_number(const Node& n, const json& value, Path& path, std::vector<Issue>& out) {
        double d = value.get<double>();
        if (n.minimum && d < n.minimum->get<double>()) {
            add(out, path, render(value) + " is less than the minimum " + render(*n.minimum));
            return;
        }
        if (n.maximum && d > n.maximum->get<double>()) {
            add(out, path, render(value) + " is greater than the maximum " + render(*n.maximum));
            return;
        }
        check_format_of(n, value, path, out);
    }

    void check_object(const Node& n, const json& value, Path& path, std::vector<Issue>& out) {
        for (const auto& r : n.required)
            if (!value.contains(r)) add(out, path, "required property " + quote(r) + " is missing");
        for (const auto& [key, child] : value.items()) {
            if (out.size() >= limit_) return;
            path.push_back(key);
            bool matched = false;
            if (auto p = n.properties.find(key); p != n.properties.end()) {
                matched = true;
                check(*p->second, child, path, out);
            }
            for (const auto& [pattern, sub] : n.pattern_properties) {
                if (pattern_matches(pattern, key)) {
                    matched = true;
                    check(*sub, child, path, out);
                }
            }
            if (!matched) {
                if (n.closed) {
                    // The keys of a mapping of names, and of an object with extension keys, are
                    // checked here only (see validate.cpp).
                    bool here = !n.pattern_properties.empty();
                    add(out, path, unknown_key_message(key, n), here ? IssueKind::Extra : IssueKind::Other);
                } else if (n.additional) {
                    check(*n.additional, child, path, out);
                }
            }
            path.pop_back();
        }
    }

    void check_array(const Node& n, const json& value, Path& path, std::vector<Issue>& out) {
        if (n.items) {
            for (std::size_t i = 0; i < value.size() && out.size() < limit_; ++i) {
                path.push_back(std::to_string(i));
                check(*n.items, value[i], path, out);
                path.pop_back();
            }
        }
        if (!n.unique_items) return;
        for (std::size_t i = 1; i < value.size(); ++i) {
            for (std::size_t j = 0; j < i; ++j) {
                if (value[i] == value[j]) {
                    path.push_back(std::to_string(i));
                    add(out, path, render(value[i]) + " is listed twice (also at [" + std::to_string(j) + "])");
                    path.pop_back();
                    break;
                }
            }
        }
    }

    // Checks oneOf/anyOf. Returns true when the value passed (so the caller goes on with the
    // node's other keywords), false when issues were added.
    bool branches(const std::vector<const Node*>& list, bool exactly_one, const json& value, Path& path,
                  std::vector<Issue>& out) {
        std::vector<std::vector<Issue>> results(list.size());
        std::size_t passed = 0;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const Node& b = *list[i];
            // Cheap first: a branch of another type is rejected without walking it.
            bool nested = !b.one_of.empty() || !b.any_of.empty();
            if (nested || !type_mismatch(b, value, path, results[i])) check(b, value, path, results[i]);
            if (results[i].empty()) {
                ++passed;
                if (!exactly_one) return true;
            }
        }
        if (passed == 1) return true;
        if (passed > 1) {
            add(out, path, render(value) + " matches more than one of the allowed forms");
            return false;
        }
        // No branch accepted the value. Branches that merely rejected its type say nothing useful
        // except which types are accepted; among the others the one that got deepest is the
        // form the author meant.
        const std::vector<Issue>* best = nullptr;
        std::vector<std::string> types;
        for (const auto& r : results) {
            bool type_only = r.size() == 1 && r[0].kind == IssueKind::Type && r[0].violation.path == path;
            if (type_only) {
                for (const auto& t : r[0].types)
                    if (std::find(types.begin(), types.end(), t) == types.end()) types.push_back(t);
                continue;
            }
            if (!best || depth(r) > depth(*best) || (depth(r) == depth(*best) && r.size() < best->size())) best = &r;
        }
        if (best) {
            for (const auto& issue : *best)
                if (out.size() < limit_) out.push_back(issue);
        } else {
            add(out, path, "must be " + join_types(types) + ", not " + kind_of(value), IssueKind::Type, types);
        }
        return false;
    }

    std::size_t limit_;
};

}  // namespace

Explainer::Explainer(const json& schema) : root_(schema) { top_ = compile(schema, 0); }

Explainer::~Explainer() = default;

const Node* Explainer::compile(const json& s_in, int depth) {
    static const Node accept_all;
    const json* s = &s_in;
    // Follow $ref chains (in draft-07 a $ref's siblings are ignored).
    for (int hops = 0; hops < 16 && s->is_object(); ++hops) {
        auto r = s->find("$ref");
        if (r == s->end() || !r->is_string()) break;
        const std::string& ref = r->get_ref<const std::string&>();
        try {
            s = &root_.at(json::json_pointer(ref.substr(ref.find('#') + 1)));
        } catch (const json::exception&) {
            return &accept_all;
        }
    }
    if (!s->is_object() || depth > 64) return &accept_all;  // `true` or `{}`-like: anything goes
    if (auto it = compiled_.find(s); it != compiled_.end()) return it->second;
    Node& n = nodes_.emplace_back();
    compiled_[s] = &n;  // before recursing: definitions may refer to themselves

    if (auto t = s->find("type"); t != s->end()) {
        if (t->is_string()) n.types.push_back(t->get<std::string>());
        else for (const auto& x : *t) n.types.push_back(x.get<std::string>());
    }
    if (auto e = s->find("enum"); e != s->end() && e->is_array()) n.enumeration = &*e;
    if (auto p = s->find("pattern"); p != s->end() && p->is_string()) n.pattern = p->get<std::string>();
    if (auto f = s->find("format"); f != s->end() && f->is_string()) n.format = f->get<std::string>();
    if (auto m = s->find("minimum"); m != s->end() && m->is_number()) n.minimum = &*m;
    if (auto m = s->find("maximum"); m != s->end() && m->is_number()) n.maximum = &*m;
    if (auto r = s->find("required"); r != s->end())
        for (const auto& x : *r)
            if (x.is_string()) n.required.push_back(x.get<std::string>());
    if (auto p = s->find("properties"); p != s->end() && p->is_object())
        for (const auto& [k, v] : p->items()) n.properties[k] = compile(v, depth + 1);
    if (auto p = s->find("patternProperties"); p != s->end() && p->is_object())
        for (const auto& [k, v] : p->items()) n.pattern_properties.emplace_back(k, compile(v, depth + 1));
    if (auto a = s->find("additionalProperties"); a != s->end()) {
        if (a->is_boolean()) n.closed = !a->get<bool>();
        else if (a->is_object()) n.additional = compile(*a, depth + 1);
    }
    if (auto i = s->find("items"); i != s->end() && i->is_object()) n.items = compile(*i, depth + 1);
    if (auto u = s->find("uniqueItems"); u != s->end() && u->is_boolean()) n.unique_items = u->get<bool>();
    if (auto o = s->find("oneOf"); o != s->end())
        for (const auto& b : *o) n.one_of.push_back(compile(b, depth + 1));
    if (auto o = s->find("anyOf"); o != s->end())
        for (const auto& b : *o) n.any_of.push_back(compile(b, depth + 1));
    return &n;
}

std::vector<Issue> Explainer::explain(const json& document, std::size_t limit) const {
    std::vector<Issue> out;
    Path path;
    Walker(limit).check(*top_, document, path, out);
    return out;
}

}  // namespace berth::schema::detail
