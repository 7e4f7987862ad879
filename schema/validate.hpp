// Validation of a project file against the compose-spec JSON Schema (draft-07, schema/compose-spec.json,
// compiled into the binary as kComposeSpecJson) with valijson.
//
// The loader calls validate() once per file, on the nlohmann/json form of the YAML AFTER
// interpolation and AFTER converting Fig's top-level services into `services:`; it then maps
// each Violation's path back to a YAML mark and throws ConfigError(mark, format_path(v.path), v.message).
//
// The schema is parsed and compiled once (function-local static, thread-safe); validate() itself
// only walks the document.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::schema {

// The schema text (generated from compose-spec.json by embed.cmake).
extern const std::string_view kComposeSpecJson;

struct Violation {
    // Key path of the offending value inside the document: {"services","web","ports","0"}.
    // Array indices are decimal strings. Empty for the document root.
    std::vector<std::string> path;
    // One line, no path, e.g. `additional property "imagee" is not allowed (did you mean "image"?)`
    // or `"80:80:80" is not a valid port mapping`.
    std::string message;
};

// Validates `document` (one project file, as JSON). Returns the violations, most relevant first
// (one per offending location; for oneOf/anyOf only the best-matching branch's message).
// An empty vector means the document is valid.
std::vector<Violation> validate(const nlohmann::json& document);

// {"services","web","ports","0"} -> "services.web.ports[0]"; keys that are not plain identifiers
// are quoted: {"services","my.app"} -> `services."my.app"`. Empty path -> "".
std::string format_path(const std::vector<std::string>& path);

// The candidate closest to `word` when close enough to be a likely typo (distance <= max(1, len/3)),
// else "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace berth::schema
