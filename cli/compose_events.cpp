// berth events: the project's container events as they happen, from the host's event log
// (engine/monitor/event_log.hpp), as compose prints them or as JSON lines (--json); --since
// replays the kept log from that time, --until ends the stream at that time.
#include <fmt/core.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/human_duration.hpp"
#include "cli/compose_project.hpp"
#include "compose/orchestrate/labels.hpp"

namespace berth::cli {
namespace {

namespace labels = compose::orchestrate;
using Clock = std::chrono::system_clock;

struct Filter {
  std::string project;
  std::vector<std::string> services;
  bool json = false;
  std::optional<Clock::time_point> since, until;
};

// Prints one event line when it belongs to the project (and the chosen services).
void print_event(const std::string& line, const Filter& f) {
  auto e = nlohmann::json::parse(line, nullptr, false);
  if (e.is_discarded() || !e.contains("attributes")) return;
  const auto& a = e["attributes"];
  if (a.value(labels::kProjectLabel, "") != f.project) return;
  std::string service = a.value(labels::kServiceLabel, "");
  if (!f.services.empty() && std::find(f.services.begin(), f.services.end(), service) == f.services.end()) return;
  if (f.since || f.until) {
    auto t = parse_rfc3339(e.value("time", ""));
    if (!t || (f.since && *t < *f.since) || (f.until && *t > *f.until)) return;
  }
  if (f.json) {
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

// The events kept in the rotated file, oldest first (--since).
void replay_rotated(const std::filesystem::path& path, const Filter& f) {
  std::ifstream old(path.string() + ".1");
  for (std::string line; std::getline(old, line);) print_event(line, f);
}

// Follows the log from its current end (from its start with --since), across rotations, until
// killed or --until has passed.
int follow(const std::filesystem::path& path, const Filter& f) {
  if (f.since) replay_rotated(path, f);
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
      if (at_start && !f.since) in.seekg(0, std::ios::end);  // only what happens from now on
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
        print_event(partial + chunk, f);
        partial.clear();
      }
      in.clear();
    }
    if (!got) {
      if (f.until && Clock::now() > *f.until) return 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

const CommandRegistration events_reg(27, {"events"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("events", "Receive real time events from containers");
  auto json = std::make_shared<bool>(false);
  auto services = std::make_shared<std::vector<std::string>>();
  auto since = std::make_shared<std::string>();
  auto until = std::make_shared<std::string>();
  cmd->add_flag("--json", *json, "Output events as a stream of json objects");
  cmd->add_option("--since", *since, "Show the events since a time (RFC 3339, Unix seconds, or a duration like 10m)");
  cmd->add_option("--until", *until, "Stream the events until a time (RFC 3339, Unix seconds, or a duration like 10m)");
  cmd->add_option("services", *services, "Services");
  cmd->callback([&ctx, json, services, since, until] {
    ctx.action = [&ctx, json, services, since, until]() -> int {
      Filter f;
      auto now = Clock::now();
      if (!since->empty()) f.since = parse_time_or_duration(*since, "--since", now);
      if (!until->empty()) f.until = parse_time_or_duration(*until, "--until", now);
      compose::Project p = load_project(ctx);
      f.project = p.name;
      f.services = *services;
      f.json = *json;
      return follow(engine::Runtime(ctx.global.state()).events_log(), f);
    };
  });
});

}  // namespace
}  // namespace berth::cli
