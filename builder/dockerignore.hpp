#pragma once
// .dockerignore as Docker reads it (moby/patternmatcher and its ignorefile reader):
//  - a line starting with `#` in column 1 is a comment; lines are trimmed; blank lines skipped;
//  - `!` makes an exception; each pattern is cleaned like Go's filepath.Clean (`./a/../b` -> `b`)
//    and one leading `/` dropped, so every pattern is anchored at the context root;
//  - `*` matches any run of non-`/`, `?` one non-`/`, `[...]` a class, `\` escapes, and `**`
//    any number of directories (`**/x`, `a/**`, `a/**/b`);
//  - a path is excluded when a pattern matches it or any of its parent directories, and the last
//    pattern that matches decides (an exception only re-includes what is excluded so far).
// Paths given to the matcher are relative to the context root, with `/` separators.
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace berth::builder {

class DockerIgnore {
 public:
  DockerIgnore() = default;
  // Patterns as they stand in the file; throws ConfigError "FILE:LINE: ..." for a bad pattern.
  static DockerIgnore parse(std::string_view text, const SourceFile& file = ".dockerignore");
  static DockerIgnore from_patterns(const std::vector<std::string>& patterns);

  bool excluded(std::string_view path) const;
  // True when `dir` is excluded and no exception could re-include anything below it, so a walk
  // can skip the directory without reading it.
  bool can_skip_dir(std::string_view dir) const;
  bool has_exceptions() const { return has_exceptions_; }
  std::vector<std::string> patterns() const;  // cleaned, `!` kept

  struct Pattern {
    std::string text;                // cleaned, without `!`
    std::vector<std::string> parts;  // split on `/`
    bool exception = false;
    bool matches(std::string_view path) const;
  };

 private:
  std::vector<Pattern> patterns_;
  bool has_exceptions_ = false;
};

// Go's path.Clean on a slash-separated path.
std::string clean_path(std::string_view path);

// Go's path.Match on one string (`*` and `?` do not cross `/`); throws UserError for a malformed
// pattern ("syntax error in pattern").
bool glob_match(std::string_view pattern, std::string_view name);

}  // namespace berth::builder
