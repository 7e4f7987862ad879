// JSON value -> block-style YAML text, as `berth config` prints the resolved project.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace berth::compose {

// Maps and sequences in block style indented by two, empty ones as {} and []; a string is written
// plain when YAML reads it back as the same string, else double-quoted (JSON escapes are valid
// YAML). Reading the text back gives the same JSON (tests/unit/compose/yaml_writer_test.cpp).
std::string yaml_text(const nlohmann::json& value);

}  // namespace berth::compose
