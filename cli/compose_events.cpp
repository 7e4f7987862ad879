// berth events: the project's container events as they happen, from the host's event log
// (engine/monitor/event_log.hpp), as compose prints them or as JSON lines (--json).
#include <fmt/core.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/compose_project.hpp"
#include "compose/orchestrate/labels.hpp"

namespace berth::cli {
namespace {

namespace labels = compose::orchestrate;

// Prints one event line when it belongs to the project (and the chosen services).
void print_event(const std::string& line, const std::string& project, const std::vector<std::string>& services, bool json) {
  auto e = nlohmann::json::parse(line, nullptr, false);
  if (e.is_discarded() || !e.contains("attributes")) return;
  const auto& a = e["attributes"];
  if (a.value(labels::kProjectLabel, "") != project) return;
  std::string service = a.value(labels::kServiceLabel, "");
  if (!services.empty() && std::find(services.begin(), services.end(), service) == services.end()) return;
  if (json) {
    nlohmann::json out = {{"time", e["time"]}, {"type", e["type"]}, {"action", e["action"]}, {"id", e["id"]},
                          {"service", service}, {"attributes", a}};
    fmt::print("{}\n", out.dump());
  } else {
    std::string attrs;
    for (const char* k : {"image", "name", "exitCode", "signal"})
      if (a.contains(k)) attrs += fmt::format("{}{}={}", attrs.empty() ? "" : ", ", k, a[k].get<std::string>());
    fmt::print("{} container {} {} ({})\n", e["time"].get<std::string>(), e["action"].get<std::string>(),
               e["id"].get<std::string>(), attrs);
  }
  std::fflush(stdout);
}

// Follows the log from its current end, across rotations, until killed.
[[noreturn]] void follow(const std::filesystem::path& path, const std::string& project,
                         const std::vector<std::string>& services, bool json) {
  std::ifstream in;
  ino_t inode = 0;
  std::string partial;
  bool at_start = true;
  for (;;) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && (!in.is_open() || st.st_ino != inode)) {
      in.close();
      in.clear();
      in.open(path);
      inode = st.st_ino;
      if (at_start) in.seekg(0, std::ios::end);  // only what happens from now on
      partial.clear();
    }
    at_start = false;
    bool got = false;
    if (in.is_open()) {
      std::string chunk;
      while (std::getline(in, chunk)) {
        got = true;
        if (in.eof()) {  // no newline yet: the rest comes later
          partial += chunk;
          break;
        }
        print_event(partial + chunk, project, services, json);
        partial.clear();
      }
      in.clear();
    }
    if (!got) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

const CommandRegistration events_reg(27, {"events"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("events", "Receive real time events from containers");
  auto json = std::make_shared<bool>(false);
  auto services = std::make_shared<std::vector<std::string>>();
  cmd->add_flag("--json", *json, "Output events as a stream of json objects");
  cmd->add_option("services", *services, "Services");
  cmd->callback([&ctx, json, services] {
    ctx.action = [&ctx, json, services]() -> int {
      compose::Project p = load_project(ctx);
      follow(engine::Runtime(ctx.global.state()).events_log(), p.name, *services, *json);
    };
  });
});

}  // namespace
}  // namespace berth::cli
