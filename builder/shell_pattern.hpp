#pragma once
// The patterns of ${VAR#pat}, ${VAR%pat} and ${VAR/pat/repl} as BuildKit's shell lexer reads them:
// `*` (any run of characters, `/` included), `?` (one character), `\*` `\?` `\\` for the
// characters themselves, `\}` and `\/` for a brace or slash, no bracket expressions. Throws
// ExpandError (shell_words.hpp) on any other escape.
#include <string>
#include <string_view>

namespace berth::builder {

enum class TrimSide { prefix, suffix };
// ${v#p} (shortest prefix), ${v##p} (longest), ${v%p}, ${v%%p}: `value` without the match.
std::string trim_pattern(std::string_view value, std::string_view pattern, TrimSide side, bool longest);

// ${v/p/r} replaces the first (leftmost, then longest) match, ${v//p/r} every match.
std::string replace_pattern(std::string_view value, std::string_view pattern, std::string_view replacement, bool all);

}  // namespace berth::builder
