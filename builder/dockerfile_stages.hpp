#pragma once
// The stage model a build runs from: the Dockerfile parsed and checked, the global ARGs (those
// before the first FROM) resolved against the build args, each stage's base reference expanded
// with them, and the stages each stage needs (its FROM of an earlier stage, COPY --from=NAME|INDEX,
// RUN --mount=from=NAME, and the same in the ONBUILD triggers of its base stage). A reference that
// names no earlier stage is an image. File order is a valid build order (references only reach
// back), so the builder can build what `stages_needed` returns, level by level in parallel.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "builder/dockerfile_ast.hpp"
#include "builder/dockerfile_instructions.hpp"

namespace berth::builder {

struct Stage {
  int index = 0;
  std::string name;             // lower case; "" when the FROM has no AS
  int line = 0;                 // the FROM's line
  Instruction from;             // the FROM itself
  std::string base_as_written;  // FROM's image word, unexpanded
  std::string base;             // expanded with the global ARGs
  std::string platform;         // FROM --platform, expanded ("" when absent)
  std::optional<int> base_stage;             // FROM names an earlier stage
  std::vector<Instruction> instructions;     // after the FROM
  std::set<int> depends_on;                  // earlier stages this one needs
  std::set<std::string> images;              // images named by COPY --from / RUN --mount from
};

struct Dockerfile {
  RawDockerfile raw;                      // file, directives, escape character, parser warnings
  std::vector<Instruction> global_args;   // the ARG instructions before the first FROM
  // Each global ARG's value: the build arg, else its expanded default, else unset (nullopt).
  std::map<std::string, std::optional<std::string>> meta_args;
  std::vector<Stage> stages;
  std::vector<std::string> warnings;      // "FILE:LINE: ..." (parser warnings included)
};

// Throws ConfigError "FILE:LINE: INSTRUCTION: message" (FILE as given).
Dockerfile load_dockerfile(std::string_view text, const SourceFile& file,
                           const std::map<std::string, std::string>& build_args = {});

// The stage `--target` names (case-insensitive), the last stage when `target` is empty. Throws
// UserError naming the unknown target.
int resolve_target(const Dockerfile& df, const std::string& target);

// The target and every stage it needs, transitively, in file order.
std::vector<int> stages_needed(const Dockerfile& df, int target);

// `needed` grouped in waves: each wave's stages depend only on stages of earlier waves, so the
// stages of one wave can be built in parallel.
std::vector<std::vector<int>> build_waves(const Dockerfile& df, const std::vector<int>& needed);

}  // namespace berth::builder
