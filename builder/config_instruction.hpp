#pragma once
// The instructions that change only the image config (ENV LABEL WORKDIR USER EXPOSE VOLUME CMD
// ENTRYPOINT STOPSIGNAL HEALTHCHECK ONBUILD MAINTAINER), applied as BuildKit's dockerfile2llb
// applies them, and the history line each step writes ("RUN /bin/sh -c make # buildkit").
#include <string>
#include <vector>

#include "builder/dockerfile_instructions.hpp"
#include "engine/image/image_store.hpp"

namespace berth::builder {

// What a stage carries from one instruction to the next besides the config.
struct StageShell {
  std::vector<std::string> shell{"/bin/sh", "-c"};  // SHELL
  bool cmd_set = false;  // CMD given in this stage: a later ENTRYPOINT keeps it
};

// True for the instructions apply_config_instruction handles.
bool is_config_instruction(const std::string& keyword);

// `in` is expanded already (instruction_expand.hpp). SHELL updates `state` and the config.
void apply_config_instruction(engine::ImageConfig& cfg, const Instruction& in, StageShell& state);

// The shell-form or exec-form command line of RUN/CMD/ENTRYPOINT as argv.
std::vector<std::string> command_argv(const Instruction& in, const StageShell& state);

// The history "created_by" of a step: BuildKit's form, `run_args` the "K=V" build args in a RUN's
// environment ("RUN |2 A=1 B=2 /bin/sh -c make # buildkit").
std::string history_created_by(const Instruction& in, const StageShell& state, const std::vector<std::string>& run_args);

// WORKDIR's path joined to the current one (relative paths continue it), cleaned.
std::string join_workdir(const std::string& current, const std::string& path);

}  // namespace berth::builder
