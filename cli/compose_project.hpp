#pragma once
// What every project command (up, down, ps, logs, ...) shares: loading the project from the
// global options and printing progress lines as compose does.
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "compose/model.hpp"
#include "compose/orchestrate/project_runtime.hpp"

namespace berth::cli {

compose::Project load_project(const Context& ctx, const std::vector<std::string>& services = {});
// " ✔ Container p-web-1  Started" on stderr (plain words when not a terminal).
compose::orchestrate::Progress progress_printer();

}  // namespace berth::cli
