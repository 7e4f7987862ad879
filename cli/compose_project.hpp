#pragma once
// What every project command (up, down, ps, logs, ...) shares: loading the project from the
// global options and printing progress lines as compose does.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "compose/model.hpp"
#include "compose/orchestrate/project_runtime.hpp"

namespace berth::cli {

compose::Project load_project(const Context& ctx, const std::vector<std::string>& services = {});
// As load_project; but `-p NAME` where no project file is found (the usual CI teardown) gives the
// project as its containers' labels describe it: a name and no services (down, ps, logs, stop, rm).
compose::Project load_project_or_labels(const Context& ctx);

// One warning per key of the project berth accepts but does not act on.
void warn_ignored(const compose::Project& p);
// " ✔ Container p-web-1  Started  0.3s" on stderr, per --progress (project_progress.hpp).
compose::orchestrate::Progress progress_printer(const Context& ctx);
// --scale SERVICE=NUM values.
std::map<std::string, int> parse_scale(const std::vector<std::string>& values);
// -t/--timeout: a negative value (the default) means the container's own stop_grace_period.
std::optional<std::chrono::seconds> optional_seconds(int t);

}  // namespace berth::cli
