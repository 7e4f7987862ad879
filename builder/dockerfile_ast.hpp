#pragma once
// The Dockerfile as the line parser sees it, before any instruction is interpreted: one node per
// logical line (continuations joined, comments dropped), with its flags split off and its
// arguments split by the rule of its instruction (JSON array, whitespace words, key=value words or
// the rest of the line). This mirrors BuildKit's parser layer so that a Dockerfile splits the
// same way in berth as in `docker build`; dockerfile_instructions.hpp gives the nodes meaning.
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace berth::builder {

// A here-document attached to RUN, COPY or ADD (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`).
struct Heredoc {
  std::string name;       // the delimiter word, quotes removed
  std::string content;    // the body lines with their line endings (tabs stripped for <<-)
  bool expand = true;     // false when any part of the delimiter was quoted
  bool chomp = false;     // <<- : leading tabs of the body lines and of the terminator dropped
  unsigned fd = 0;        // the digits before << (0 when none)
};

struct Node {
  std::string keyword;              // lower case: "run", "copy", ... (unknown words kept as written)
  std::string keyword_as_written;   // for messages
  std::string original;             // the joined logical line
  int line = 0;                     // first physical line (1-based)
  int end_line = 0;                 // last physical line, heredoc bodies included
  std::vector<std::string> flags;   // "--name=value" or "--name", as written before the arguments
  std::vector<std::string> args;    // split by the instruction's rule (see dockerfile_lexer.cpp)
  bool json = false;                // the arguments were a JSON array (exec form)
  std::vector<Heredoc> heredocs;
  std::shared_ptr<Node> trigger;    // ONBUILD's instruction
  std::vector<std::string> comments;  // the comment lines just above (for messages and tooling)
};

struct Directive {
  std::string name;  // lower case: syntax, escape, check
  std::string value;
  int line = 0;
};

struct RawDockerfile {
  SourceFile file;                    // the path as given, for messages
  std::vector<Node> nodes;
  std::vector<Directive> directives;
  char escape = '\\';
  std::vector<std::string> warnings;  // "Dockerfile:LINE: ..." (empty continuation lines)
};

}  // namespace berth::builder
