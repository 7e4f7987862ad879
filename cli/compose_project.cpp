#include "cli/compose_project.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <mutex>

#include "cli/project_options.hpp"
#include "compose/load.hpp"

namespace berth::cli {

compose::Project load_project(const Context& ctx, const std::vector<std::string>& services) {
  return compose::load_project(load_options(ctx.global, services));
}

compose::orchestrate::Progress progress_printer() {
  static std::mutex m;
  return [](const std::string& object, const std::string& status) {
    std::lock_guard lk(m);
    fmt::print(stderr, " {} {:<40} {}\n", ::isatty(2) ? "\u2714" : "-", object, status);
  };
}

}  // namespace berth::cli
