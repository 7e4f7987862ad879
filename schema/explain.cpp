// Why a document fails the schema, in words a user can act on. valijson decides validity; this
// walker reproduces its verdict with messages: "did you mean" for unknown keys, the accepted
// types for type errors, and for oneOf/anyOf the message of the branch the value was meant for
// (the one of its type that got furthest) instead of every branch's complaint.
#include "schema/explain.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <regex>

#include "schema/formats.hpp"

namespace berth::schema::detail {

namespace {

using json = nlohmann::json;
using Path = std::vector<std::string>;

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
    if (t == "object") return v.is_object();
    if (t == "array") return v.is_array();
    if (t == "string") return v.is_string();
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    if (t == "number") return v.is_number();
    if (t == "integer") {
        if (v.is_number_integer() || v.is_number_unsigned()) return true;
        if (v.is_number_float()) {
            double d = v.get<double>();
            return d == static_cast<double>(static_cast<long long>(d));
        }
    }
    return false;
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

class Walker {
 public:
    Walker(const json& root, std::size_t limit) : root_(root), limit_(limit) {}

    void check(const json& schema_in, const json& value, Path& path, std::vector<Issue>& out) {
        if (out.size() >= limit_) return;
        const json& s = resolve(schema_in);
        if (!s.is_object()) return;  // `true`/`{}`-like schemas accept anything

        if (auto it = s.find("oneOf"); it != s.end()) {
            if (!branches(*it, true, value, path, out)) return;
        }
        if (auto it = s.find("anyOf"); it != s.end()) {
            if (!branches(*it, false, value, path, out)) return;
        }
        if (type_mismatch(s, value, path, out)) return;
        if (auto it = s.find("enum"); it != s.end()) {
            if (std::find(it->begin(), it->end(), value) == it->end()) {
                add(out, path, enum_message(*it, value));
                return;
            }
        }
        if (value.is_string()) check_string(s, value, path, out);
        if (value.is_number()) check_number(s, value, path, out);
        if (value.is_object()) check_object(s, value, path, out);
        if (value.is_array()) check_array(s, value, path, out);
    }

 private:
    // Adds a type issue and returns true when `s` has a "type" that `value` does not have.
    static bool type_mismatch(const json& s, const json& value, const Path& path, std::vector<Issue>& out) {
        auto it = s.find("type");
        if (it == s.end()) return false;
        std::vector<std::string> types;
        if (it->is_string()) types.push_back(it->get<std::string>());
        else for (const auto& t : *it) types.push_back(t.get<std::string>());
        if (std::any_of(types.begin(), types.end(), [&](const std::string& t) { return has_type(value, t); }))
            return false;
        add(out, path, "must be " + join_types(types) + ", not " + kind_of(value), IssueKind::Type, types);
        return true;
    }

    const json& resolve(const json& s) {
        const json* cur = &s;
        for (int depth = 0; depth < 16 && cur->is_object(); ++depth) {
            auto it = cur->find("$ref");
            if (it == cur->end() || !it->is_string()) break;
            const std::string& ref = it->get_ref<const std::string&>();
            try {
                cur = &root_.at(json::json_pointer(ref.substr(ref.find('#') + 1)));
            } catch (const json::exception&) {
                break;
            }
        }
        return *cur;
    }

    static void add(std::vector<Issue>& out, const Path& path, std::string msg, IssueKind kind = IssueKind::Other,
                    std::vector<std::string> types = {}) {
        out.push_back(Issue{Violation{path, std::move(msg)}, kind, std::move(types)});
    }

    static std::string enum_message(const json& allowed, const json& value) {
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

    void check_string(const json& s, const json& value, Path& path, std::vector<Issue>& out) {
        const auto& str = value.get_ref<const std::string&>();
        if (auto it = s.find("pattern"); it != s.end() && it->is_string()) {
            if (!pattern_matches(it->get<std::string>(), str)) {
                add(out, path, render(value) + " is not valid here (must match " + it->get<std::string>() + ")");
                return;
            }
        }
        check_format_of(s, value, path, out);
    }

    void check_format_of(const json& s, const json& value, Path& path, std::vector<Issue>& out) {
        if (auto it = s.find("format"); it != s.end() && it->is_string()) {
            std::string msg = check_format(it->get<std::string>(), value);
            if (!msg.empty()) add(out, path, std::move(msg), IssueKind::Extra);
        }
    }

    void check_number(const json& s, const json& value, Path& path, std::vector<Issue>& out) {
        double d = value.get<double>();
        if (auto it = s.find("minimum"); it != s.end() && it->is_number() && d < it->get<double>()) {
            add(out, path, render(value) + " is less than the minimum " + render(*it));
            return;
        }
        if (auto it = s.find("maximum"); it != s.end() && it->is_number() && d > it->get<double>()) {
            add(out, path, render(value) + " is greater than the maximum " + render(*it));
            return;
        }
        check_format_of(s, value, path, out);
    }

    void check_object(const json& s, const json& value, Path& path, std::vector<Issue>& out) {
        if (auto it = s.find("required"); it != s.end()) {
            for (const auto& r : *it)
                if (r.is_string() && !value.contains(r.get<std::string>()))
                    add(out, path, "required property " + quote(r.get<std::string>()) + " is missing");
        }
        const json* props = nullptr;
        const json* patterns = nullptr;
        if (auto it = s.find("properties"); it != s.end() && it->is_object()) props = &*it;
        if (auto it = s.find("patternProperties"); it != s.end() && it->is_object()) patterns = &*it;
        auto additional = s.find("additionalProperties");
        bool closed = additional != s.end() && additional->is_boolean() && !additional->get<bool>();

        for (const auto& [key, child] : value.items()) {
            if (out.size() >= limit_) return;
            path.push_back(key);
            bool matched = false;
            if (props) {
                if (auto p = props->find(key); p != props->end()) {
                    matched = true;
                    check(*p, child, path, out);
                }
            }
            if (patterns) {
                for (const auto& [pattern, sub] : patterns->items()) {
                    if (pattern_matches(pattern, key)) {
                        matched = true;
                        check(sub, child, path, out);
                    }
                }
            }
            if (!matched) {
                if (closed) {
                    // Keys of a mapping of names are checked here only (see validate.cpp).
                    bool names = (!props || props->empty()) && patterns;
                    add(out, path, unknown_key_message(key, props, patterns), names ? IssueKind::Extra : IssueKind::Other);
                }
                else if (additional != s.end() && additional->is_object()) check(*additional, child, path, out);
            }
            path.pop_back();
        }
    }

    static std::string unknown_key_message(const std::string& key, const json* props, const json* patterns) {
        if (!props || props->empty()) {
            // A mapping of names (services, networks, ...): the key itself is malformed.
            if (patterns && patterns->contains("^[a-zA-Z0-9._-]+$"))
                return quote(key) + " is not a valid name (use only letters, digits, \".\", \"_\" and \"-\")";
            return "key " + quote(key) + " is not allowed here";
        }
        std::vector<std::string> names;
        for (const auto& [name, _] : props->items()) names.push_back(name);
        std::string msg = "additional property " + quote(key) + " is not allowed";
        std::string near = closest_match(key, names);
        if (!near.empty()) msg += " (did you mean " + quote(near) + "?)";
        return msg;
    }

    void check_array(const json& s, const json& value, Path& path, std::vector<Issue>& out) {
        if (auto it = s.find("items"); it != s.end() && it->is_object()) {
            for (std::size_t i = 0; i < value.size() && out.size() < limit_; ++i) {
                path.push_back(std::to_string(i));
                check(*it, value[i], path, out);
                path.pop_back();
            }
        }
        if (auto it = s.find("uniqueItems"); it != s.end() && it->is_boolean() && it->get<bool>()) {
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
    }

    // Checks oneOf/anyOf. Returns true when the value passed (so the caller goes on with the
    // schema's other keywords), false when issues were added.
    bool branches(const json& list, bool exactly_one, const json& value, Path& path, std::vector<Issue>& out) {
        std::vector<std::vector<Issue>> results;
        std::size_t passed = 0;
        for (const auto& branch : list) {
            std::vector<Issue> r;
            // Cheap first: a branch of another type is rejected without walking it.
            const json& b = resolve(branch);
            bool nested = b.is_object() && (b.contains("oneOf") || b.contains("anyOf"));
            if (nested || !b.is_object() || !type_mismatch(b, value, path, r)) check(branch, value, path, r);
            if (r.empty()) ++passed;
            results.push_back(std::move(r));
        }
        if (passed == 1 || (passed > 1 && !exactly_one)) return true;
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

    static std::size_t depth(const std::vector<Issue>& r) {
        std::size_t d = 0;
        for (const auto& i : r) d = std::max(d, i.violation.path.size());
        return d;
    }

    const json& root_;
    std::size_t limit_;
};

}  // namespace

std::vector<Issue> explain(const json& schema, const json& document, std::size_t limit) {
    std::vector<Issue> out;
    Path path;
    Walker(schema, limit).check(schema, document, path, out);
    return out;
}

}  // namespace berth::schema::detail
