// `.env` and `env_file:` files, parsed as compose-go's dotenv does: comments, `export `, single
// quotes (literal), double quotes (escapes, several lines, interpolation), unquoted values with
// inline ` #` comments and interpolation from earlier lines and the lookup.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "compose/load/interpolate.hpp"

namespace berth::compose::load {

// KEY=VALUE pairs in file order. A bare `KEY` line takes the value from `lookup` (dropped when
// unset). Throws ConfigError naming file and line.
std::vector<std::pair<std::string, std::string>> parse_dotenv(const std::string& text, const std::string& file,
                                                              const Lookup& lookup);

// Reads and parses a file; throws UserError when it cannot be read.
std::map<std::string, std::string> read_dotenv(const std::string& path, const Lookup& lookup);

}  // namespace berth::compose::load
