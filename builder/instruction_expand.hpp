#pragma once
// Per-instruction variable substitution at build time, with BuildKit's rules for what each
// instruction expands (the stage's ARG and ENV values in effect at that point):
//   ARG      the default, and only when no build arg was given (the caller decides which value wins)
//   ENV LABEL  keys and values (quotes removed)
//   WORKDIR USER STOPSIGNAL  the one argument; VOLUME and EXPOSE each word
//   COPY ADD  sources, destination, --chown, --chmod, --checksum, unquoted heredoc bodies
//   RUN      only its --mount values (not `from`, which names a stage and never expands)
// Nothing else: the RUN command, CMD, ENTRYPOINT, SHELL, HEALTHCHECK and ONBUILD stay as written
// (the shell in the container substitutes them at run time, as in Docker).
#include <set>
#include <string>

#include "builder/dockerfile_instructions.hpp"
#include "builder/shell_words.hpp"

namespace berth::builder {

struct ExpandResult {
  Instruction instruction;        // a copy with the expanded parts replaced
  std::set<std::string> unset;    // variables referenced that were not set (for warnings)
};

// Throws ConfigError "FILE:LINE: INSTRUCTION: failed to process ..." for a bad substitution.
ExpandResult expand_instruction(const Instruction& in, const VarLookup& vars, char escape, const SourceFile& file);

}  // namespace berth::builder
