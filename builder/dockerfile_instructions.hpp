#pragma once
// Nodes given meaning: each instruction checked (its flags, its argument count and forms) and
// its parts named, still unexpanded (variables are substituted per stage at build time, see
// instruction_expand.hpp). Errors are ConfigError "FILE:LINE: INSTRUCTION: message".
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "builder/dockerfile_ast.hpp"

namespace berth::builder {

// RUN --mount=type=...,target=...: the CSV fields, values as written (expanded later, except from).
struct RunMount {
  std::string type = "bind";  // bind, cache, tmpfs, secret, ssh
  std::string target, source, from, id, sharing, mode, uid, gid, size, env;
  bool readonly = false;      // bind defaults to read-only; cache and tmpfs to read-write
  bool required = false;
  std::string as_written;
};

struct Healthcheck {
  std::vector<std::string> test;  // {"NONE"}, {"CMD", args...} or {"CMD-SHELL", text}
  int64_t interval_ns = 0, timeout_ns = 0, start_period_ns = 0, start_interval_ns = 0;
  int retries = 0;
};

struct Instruction {
  std::string keyword;   // lower case
  std::string original;  // the logical line, for messages and history
  int line = 0, end_line = 0;

  // RUN CMD ENTRYPOINT SHELL: exec form (json) or one shell-form text. COPY ADD: sources then the
  // destination. FROM: image [AS name]. EXPOSE VOLUME: the words. WORKDIR USER STOPSIGNAL
  // MAINTAINER: one text.
  std::vector<std::string> args;
  bool json = false;
  std::vector<Heredoc> heredocs;

  // Flags after checking, without "--": every given value (booleans as "true"/"false").
  std::map<std::string, std::vector<std::string>> flags;
  std::vector<std::pair<std::string, std::string>> pairs;                  // ENV, LABEL
  std::vector<std::pair<std::string, std::optional<std::string>>> decls;   // ARG name[=default]
  std::vector<RunMount> mounts;                                            // RUN --mount
  std::optional<Healthcheck> healthcheck;                                  // HEALTHCHECK
  std::shared_ptr<Instruction> trigger;                                    // ONBUILD

  // The last value of a flag, or "" when absent.
  std::string flag(const std::string& name) const;
  bool has_flag(const std::string& name) const { return flags.count(name) != 0; }
  // "COPY" for messages.
  std::string name() const;
};

// Checks one node. `file` names the Dockerfile in errors.
Instruction parse_instruction(const Node& node, const SourceFile& file);

// "Dockerfile:12: COPY: message" as a ConfigError.
[[noreturn]] void instruction_error(const SourceFile& file, int line, const std::string& instruction, const std::string& message);

}  // namespace berth::builder
