// RawProject (compose/raw_project.hpp) -> Project (compose/model.hpp): every short and long syntax
// of the project file normalized into one form. Errors are ConfigError naming file:line:col and key
// (from the Node marks).
#pragma once

#include "compose/model.hpp"
#include "compose/raw_project.hpp"

namespace berth::compose {

Project normalize(const RawProject& raw);

}  // namespace berth::compose
