// Validation against the embedded compose-spec schema: valijson decides, detail::explain words it.
#include "schema/validate.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "schema/explain.hpp"

namespace berth::schema {

namespace {

using json = nlohmann::json;

// valijson compiles a std::regex for every patternProperties on every object it visits (only
// "pattern" regexes are cached), and tries every oneOf branch; with the compose schema that is
// most of the time spent. So valijson gets an equivalent schema:
//  - {"patternProperties": {RE: S}, "additionalProperties": false}  (a mapping of names)
//      -> {"additionalProperties": S}, and explain() checks the names against RE; ("propertyNames"
//      would say it, but valijson 1.0 builds its subschema under the parent's cache key, so a
//      propertyNames inside a $ref'd definition validates against the wrong schema);
//  - {"patternProperties": {"^.+$" or ".+": S}} -> {"additionalProperties": S};
//  - {"properties": P, "patternProperties": {"^x-": {}}, "additionalProperties": false} (an object
//      with extension keys) -> {"properties": P}, and explain() reports the keys that are neither
//      in P nor x-; this needs every choice in the schema to be decided by type (a branch's
//      unknown key could otherwise be what picks another branch), so it is done only then;
//  - oneOf whose branches accept disjoint types -> anyOf (stops at the first match; same verdict);
//  - "format" dropped: valijson reads every formatted value as a string and knows none of ours.
// explain() walks the original schema for the messages.
using TypeSet = std::set<std::string>;

std::optional<TypeSet> branch_types(const json& root, const json& s, int depth = 0) {
    if (depth > 16 || !s.is_object()) return std::nullopt;
    if (auto r = s.find("$ref"); r != s.end() && r->is_string()) {
        const std::string& ref = r->get_ref<const std::string&>();
        try {
            return branch_types(root, root.at(json::json_pointer(ref.substr(ref.find('#') + 1))), depth + 1);
        } catch (const json::exception&) {
            return std::nullopt;
        }
    }
    if (auto t = s.find("type"); t != s.end()) {
        TypeSet out;
        if (t->is_string()) out.insert(t->get<std::string>());
        else for (const auto& x : *t) out.insert(x.get<std::string>());
        if (out.count("integer")) out.insert("number");  // an integer is a number: treat as overlapping
        return out;
    }
    for (const char* kw : {"oneOf", "anyOf"}) {
        if (auto b = s.find(kw); b != s.end()) {
            TypeSet out;
            for (const auto& x : *b) {
                auto sub = branch_types(root, x, depth + 1);
                if (!sub) return std::nullopt;
                out.insert(sub->begin(), sub->end());
            }
            return out;
        }
    }
    return std::nullopt;
}

bool disjoint_branches(const json& root, const json& branches) {
    TypeSet seen;
    for (const auto& b : branches) {
        auto types = branch_types(root, b);
        if (!types) return false;
        for (const auto& t : *types)
            if (!seen.insert(t).second) return false;
    }
    return true;
}

bool is_any_key(const std::string& pattern) { return pattern == ".+" || pattern == "^.+$"; }

// True when every oneOf in the schema chooses by type alone (and there is no anyOf).
bool choices_by_type(const json& root, const json& s) {
    if (s.is_array()) return std::all_of(s.begin(), s.end(), [&](const json& v) { return choices_by_type(root, v); });
    if (!s.is_object()) return true;
    if (s.contains("anyOf")) return false;
    if (auto one = s.find("oneOf"); one != s.end() && !disjoint_branches(root, *one)) return false;
    return std::all_of(s.begin(), s.end(), [&](const json& v) { return choices_by_type(root, v); });
}

json for_valijson(const json& root, const json& s, bool open_extensible) {
    if (s.is_array()) {
        json out = json::array();
        for (const auto& v : s) out.push_back(for_valijson(root, v, open_extensible));
        return out;
    }
    if (!s.is_object()) return s;
    json out = json::object();
    for (const auto& [k, v] : s.items()) {
        if (k == "format") continue;
        // "properties"/"definitions" hold names, not keywords: recurse into their values only.
        if (k == "properties" || k == "definitions" || k == "patternProperties") {
            json m = json::object();
            for (const auto& [name, sub] : v.items()) m[name] = for_valijson(root, sub, open_extensible);
            out[k] = std::move(m);
        } else {
            out[k] = for_valijson(root, v, open_extensible);
        }
    }
    if (auto one = out.find("oneOf"); one != out.end() && disjoint_branches(root, s["oneOf"])) {
        out["anyOf"] = std::move(*one);
        out.erase("oneOf");
    }
    auto pats = out.find("patternProperties");
    if (pats == out.end() || pats->size() != 1) return out;
    const std::string pattern = pats->begin().key();
    json sub = pats->begin().value();
    auto addl = out.find("additionalProperties");
    bool closed = addl != out.end() && addl->is_boolean() && !addl->get<bool>();
    bool has_props = out.contains("properties");
    if (open_extensible && has_props && closed && pattern == "^x-" && sub == json::object()) {
        // Extension keys are checked by explain() (IssueKind::Extra), like the names below.
        out.erase("patternProperties");
        out.erase("additionalProperties");
    } else if (!has_props && (closed || (is_any_key(pattern) && addl == out.end()))) {
        // The key pattern of a closed mapping of names is checked by explain() (IssueKind::Extra).
        out.erase("patternProperties");
        out["additionalProperties"] = std::move(sub);
    }
    return out;
}

struct Compiled {
    json document;  // the schema as written, walked by explain()
    valijson::Schema schema;
    detail::Explainer explainer{document};

    Compiled() : document(json::parse(kComposeSpecJson)) {
        json equivalent = for_valijson(document, document, choices_by_type(document, document));
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        valijson::adapters::NlohmannJsonAdapter adapter(equivalent);
        parser.populateSchema(adapter, schema);
    }
};

// Parsed and compiled once per process: parsing the schema costs far more than validating a file.
const Compiled& compiled() {
    static const Compiled c;
    return c;
}

// valijson's context reads {"<root>", "[services]", "[web]", "[0]"}.
std::vector<std::string> path_of(const std::vector<std::string>& context) {
    std::vector<std::string> out;
    for (const auto& c : context) {
        if (c.size() >= 2 && c.front() == '[' && c.back() == ']') out.push_back(c.substr(1, c.size() - 2));
    }
    return out;
}

}  // namespace

std::vector<Violation> validate(const nlohmann::json& document) {
    const Compiled& c = compiled();
    // valijson's Validator caches regexes and is not const: one per thread.
    thread_local valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::adapters::NlohmannJsonAdapter target(document);
    bool valid = validator.validate(c.schema, target, nullptr);

    std::vector<Violation> out;
    auto issues = c.explainer.explain(document);
    for (auto& issue : issues) {
        // When valijson accepts the document only the checks it does not make count (formats, names).
        if (valid && issue.kind != detail::IssueKind::Extra) continue;
        out.push_back(std::move(issue.violation));
    }
    if (!valid && out.empty()) {
        // The walker missed what valijson found: report valijson's deepest error as it is.
        valijson::ValidationResults results;
        validator.validate(c.schema, target, &results);
        valijson::ValidationResults::Error error, deepest;
        while (results.popError(error))
            if (error.context.size() > deepest.context.size() || deepest.description.empty()) deepest = error;
        out.push_back(Violation{path_of(deepest.context), deepest.description});
    }
    return out;
}

}  // namespace berth::schema
