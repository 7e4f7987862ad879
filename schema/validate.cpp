// Validation against the embedded compose-spec schema: valijson decides, detail::explain words it.
#include "schema/validate.hpp"

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "schema/explain.hpp"

namespace berth::schema {

namespace {

using json = nlohmann::json;

// "format" is left out of what valijson sees: valijson reads every formatted value as a string
// (numbers included) and knows none of our formats; explain() checks them instead.
json without_formats(const json& s) {
    if (s.is_object()) {
        json out = json::object();
        for (const auto& [k, v] : s.items())
            if (k != "format") out[k] = without_formats(v);
        return out;
    }
    if (s.is_array()) {
        json out = json::array();
        for (const auto& v : s) out.push_back(without_formats(v));
        return out;
    }
    return s;
}

struct Compiled {
    json document;  // for explain()
    valijson::Schema schema;
    bool has_formats = false;

    Compiled() : document(json::parse(kComposeSpecJson)) {
        json stripped = without_formats(document);
        has_formats = stripped != document;
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        valijson::adapters::NlohmannJsonAdapter adapter(stripped);
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
    if (valid && !c.has_formats) return out;
    auto issues = detail::explain(c.document, document);
    for (auto& issue : issues) {
        // When valijson accepts the document only format issues count: it is the judge of structure.
        if (valid && issue.kind != detail::IssueKind::Format) continue;
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
