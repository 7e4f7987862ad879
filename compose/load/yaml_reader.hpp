// YAML text -> compose::Node (compose/tree.hpp) with file/line/column on every node.
#pragma once

#include <string>

#include "compose/tree.hpp"

namespace berth::compose::load {

// Aliases are copied, `<<` merge keys applied (explicit keys win, earlier sources win), duplicate
// keys refused; `!reset` / `!override` tags kept on the nodes. Throws ConfigError naming the file.
Node read_yaml(const std::string& text, const std::string& file);

}  // namespace berth::compose::load
