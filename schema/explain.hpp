// Internal to schema/: a small JSON-Schema walker that turns a failed validation into clear
// one-line messages, and makes the checks valijson does not (custom string formats, key patterns
// of name mappings; see validate.cpp). The schema is compiled once into a graph of nodes. It
// understands the keywords compose-spec.json uses: $ref (local), type, enum, pattern, format,
// minimum, maximum, properties, patternProperties, additionalProperties, required, items,
// uniqueItems, oneOf, anyOf.
#pragma once

#include <deque>
#include <map>
#include <memory>
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

struct Node;

class Explainer {
 public:
    // `schema` must outlive the Explainer (enum values are referenced, not copied).
    explicit Explainer(const nlohmann::json& schema);
    ~Explainer();
    Explainer(const Explainer&) = delete;
    Explainer& operator=(const Explainer&) = delete;

    // All issues of `document` (at most `limit`), in document order.
    std::vector<Issue> explain(const nlohmann::json& document, std::size_t limit = 50) const;

 private:
    const Node* compile(const nlohmann::json& s, int depth);

    const nlohmann::json& root_;
    std::deque<Node> nodes_;
    std::map<const nlohmann::json*, const Node*> compiled_;
    const Node* top_ = nullptr;
};

}  // namespace berth::schema::detail
