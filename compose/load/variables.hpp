// The variables a project file uses (`config --variables`), as compose-go extracts them: name,
// whether it is required (${X?err}, ${X:?err}), its default (${X-d}, ${X:-d}) and alternate
// value (${X+a}, ${X:+a}); variables nested in defaults count too. `$$` is a literal dollar.
#pragma once

#include <map>
#include <string>

namespace berth::compose::load {

struct Variable {
    std::string name;
    bool required = false;
    std::string default_value, alternate_value;
};

// Every variable of the YAML text (comment lines skipped), by name; a name used several times
// keeps the first default/alternate seen and is required when any use requires it.
std::map<std::string, Variable> extract_variables(const std::string& yaml_text);

}  // namespace berth::compose::load
