// After `${VAR}` substitution a value is a string, as in compose-go; only the keys whose schema
// type is a number or a boolean are re-typed (compose-go's interpolateTypeCastMapping). Anywhere
// else (environment, labels, command, x- keys, ...) "true", "123" or "" stay strings.
#pragma once

#include <string>
#include <vector>

namespace berth::compose::load {

enum class Cast { None, Number, Boolean };

// `path`: the keys from the document root; a list item is "[]".
Cast interpolation_cast(const std::vector<const std::string*>& path);

}  // namespace berth::compose::load
