// Variable interpolation as the compose specification defines it: $VAR, ${VAR}, ${VAR:-default},
// ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, ${VAR+alt}, nested in defaults, $$ = $.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "compose/tree.hpp"

namespace berth::compose::load {

using Lookup = std::function<std::optional<std::string>(const std::string&)>;

// Thrown by interpolate(); the caller adds file, line and key.
struct InterpolationError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Called with the name of a variable substituted bare ($X, ${X}) that is not set.
using UnsetHook = std::function<void(const std::string&)>;

std::string interpolate(const std::string& text, const Lookup& lookup, const UnsetHook& on_unset = {});

// Every scalar value (not keys) of the tree, in place; errors name file:line and the key path. A
// bare variable that is not set gets compose's warning, once per variable and tree.
void interpolate_tree(Node& node, const std::map<std::string, std::string>& env, const std::string& path = "");

}  // namespace berth::compose::load
