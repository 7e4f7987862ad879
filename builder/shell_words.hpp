#pragma once
// Variable substitution and word splitting as BuildKit's Dockerfile shell lexer does them (it is not
// a shell: no command substitution, no globbing, no arithmetic):
//   $VAR ${VAR}            the value, empty when unset
//   ${VAR:-w} ${VAR-w}     w when VAR is unset or empty (`:`) / unset
//   ${VAR:+w} ${VAR+w}     w when VAR is set and not empty (`:`) / set, else empty
//   ${VAR:?m} ${VAR?m}     an error "VAR: m" when unset or empty / unset
//   ${VAR#p} ${VAR##p} ${VAR%p} ${VAR%%p}   shortest/longest prefix/suffix removed (shell_pattern.hpp)
//   ${VAR/p/r} ${VAR//p/r} first/every match replaced
// Single quotes are literal; in double quotes the escape character escapes only `"`, `$` and
// itself; unquoted it escapes any character and is dropped. `$` before anything that is not a name
// stays literal. Any other ${...} form is an error ("unsupported modifier").
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace berth::builder {

// Thrown by the lexer; the caller adds the Dockerfile, line and instruction.
struct ExpandError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// nullopt: the variable is unset (which is not the same as set and empty).
using VarLookup = std::function<std::optional<std::string>(const std::string&)>;

struct LexOptions {
  char escape = '\\';         // the Dockerfile's escape character (`# escape=`)
  bool raw_quotes = false;    // keep the quote characters in the result
  bool raw_escapes = false;   // keep the escape characters in the result
  bool skip_unset = false;    // leave references to unset variables as written
};

struct Expansion {
  std::string word;                 // the whole text, substituted, quotes removed
  std::vector<std::string> words;   // the same split on unquoted whitespace (after substitution)
  std::set<std::string> used;       // variables referenced that were set
  std::set<std::string> unset;      // variables referenced that were not set, except in the forms
                                    // that handle that themselves (${V:-w} ${V+w} ${V?m} ...)
};

// Throws ExpandError ("failed to process \"TEXT\": ...").
Expansion shell_expand(std::string_view text, const VarLookup& env, const LexOptions& options = {});

// A lookup over "KEY=VALUE" entries (the last entry for a key wins, as ENV does).
VarLookup lookup_from_env(const std::vector<std::string>& env);

}  // namespace berth::builder
