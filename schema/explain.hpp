// Internal to schema/: a small JSON-Schema walker over the schema document (nlohmann form) that
// turns a failed validation into clear one-line messages, and checks the custom string formats
// that valijson leaves alone. It understands the keywords compose-spec.json uses: $ref (local),
// type, enum, pattern, format, minimum, maximum, properties, patternProperties,
// additionalProperties, required, items, uniqueItems, oneOf, anyOf.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "schema/validate.hpp"

namespace berth::schema::detail {

// Extra: a check valijson does not make (custom formats, key patterns of name mappings).
enum class IssueKind { Type, Extra, Other };

struct Issue {
    Violation violation;
    IssueKind kind = IssueKind::Other;
    std::vector<std::string> types;  // IssueKind::Type: the accepted types
};

// All issues of `document` against the root of `schema` (at most `limit`), in document order.
std::vector<Issue> explain(const nlohmann::json& schema, const nlohmann::json& document, std::size_t limit = 50);

}  // namespace berth::schema::detail
