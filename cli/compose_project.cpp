#include "cli/compose_project.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "base/error.hpp"
#include "base/log.hpp"
#include "cli/project_options.hpp"
#include "cli/project_progress.hpp"
#include "engine/registry/progress_display.hpp"
#include "compose/load.hpp"
#include "compose/load/discovery.hpp"

namespace berth::cli {

void warn_ignored(const compose::Project& p) {
  for (const auto& key : p.ignored) log::warn("{}is not supported by berth; ignored", key.back() == ' ' ? key : key + " ");
}

compose::Project load_project(const Context& ctx, const std::vector<std::string>& services) {
  compose::Project p = compose::load_project(load_options(ctx.global, services));
  warn_ignored(p);
  return p;
}

compose::Project load_project_or_labels(const Context& ctx) {
  const auto& g = ctx.global;
  if (!g.project_name.empty() && g.files.empty() && !std::getenv("COMPOSE_FILE")) {
    auto dir = std::filesystem::absolute(g.project_directory.empty() ? "." : g.project_directory).lexically_normal();
    try {
      compose::load::discover_files({}, dir, {});
    } catch (const UserError&) {
      compose::Project p;
      p.name = compose::normalize_project_name(g.project_name);
      if (p.name != g.project_name) throw UserError("invalid project name \"" + g.project_name + "\"");
      p.working_dir = dir.string();
      return p;
    }
  }
  return load_project(ctx);
}

compose::orchestrate::Progress progress_printer(const Context& ctx) {
  using Display = engine::ProgressDisplay;
  ProjectProgress::Mode mode;
  switch (Display::choose(ctx.global.progress, ctx.global.no_ansi, stderr)) {
    case Display::Mode::Tty: mode = ProjectProgress::Mode::Tty; break;
    case Display::Mode::Quiet: mode = ProjectProgress::Mode::Quiet; break;
    default: mode = ProjectProgress::Mode::Plain; break;
  }
  if (ctx.global.progress == "json") mode = ProjectProgress::Mode::Json;
  // Shared by the copies of the callback; the last one to go draws the final state.
  auto p = std::make_shared<ProjectProgress>(mode, stderr);
  return [p](const std::string& object, const std::string& status) { p->update(object, status); };
}

std::map<std::string, int> parse_scale(const std::vector<std::string>& values) {
  std::map<std::string, int> out;
  for (const auto& v : values) {
    size_t eq = v.find('=');
    int n = -1;
    if (eq != std::string::npos && eq > 0 && eq + 1 < v.size() &&
        v.find_first_not_of("0123456789", eq + 1) == std::string::npos)
      n = std::stoi(v.substr(eq + 1));
    if (n < 0) throw UserError("--scale expects SERVICE=NUM, got \"" + v + "\"");
    out[v.substr(0, eq)] = n;
  }
  return out;
}

std::optional<std::chrono::seconds> optional_seconds(int t) {
  if (t < 0) return std::nullopt;
  return std::chrono::seconds(t);
}

}  // namespace berth::cli
