// berth ps: the project's containers as docker compose ps lists them: compose's columns and
// status text, `--format json` as JSON Lines with compose's fields, Go templates, --filter.
#include <fmt/core.h>

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/go_template.hpp"
#include "base/human_duration.hpp"
#include "cli/compose_project.hpp"
#include "compose/orchestrate/labels.hpp"
#include "engine/runtime/container_status.hpp"
#include "network/network_manager.hpp"
#include "volumes/volume_store.hpp"

namespace berth::cli {
namespace {

using compose::orchestrate::ProjectRuntime;
using engine::ContainerInfo;
using nlohmann::json;

// compose's fields, in the order an unknown-field error lists them.
const std::vector<std::string> kFields = {"ID",     "Name",       "Names",     "Image",      "Command",     "Project",
                                          "Service", "CreatedAt", "RunningFor", "State",     "Status",      "Health",
                                          "ExitCode", "Publishers", "Ports",     "Labels",     "LocalVolumes", "Mounts",
                                          "Networks", "Size"};
const json kHeaders = {{"ID", "CONTAINER ID"}, {"Name", "NAME"},         {"Names", "NAMES"},
                       {"Image", "IMAGE"},     {"Command", "COMMAND"},   {"Project", "PROJECT"},
                       {"Service", "SERVICE"}, {"CreatedAt", "CREATED AT"}, {"RunningFor", "CREATED"},
                       {"State", "STATE"},     {"Status", "STATUS"},     {"Health", "HEALTH"},
                       {"ExitCode", "EXIT CODE"}, {"Publishers", "PUBLISHERS"}, {"Ports", "PORTS"},
                       {"Labels", "LABELS"},   {"LocalVolumes", "LOCAL VOLUMES"}, {"Mounts", "MOUNTS"},
                       {"Networks", "NETWORKS"}, {"Size", "SIZE"}};
const char* kDefaultTable =
    "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}";
const std::vector<std::string> kStates = {"paused", "restarting", "removing", "running", "dead", "created", "exited"};

std::string label(const ContainerInfo& c, const char* key) {
  auto it = c.labels.find(key);
  return it == c.labels.end() ? "" : it->second;
}

// Go's strconv.Quote for the command column: quotes, with " and \ escaped.
std::string go_quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out + "\"";
}

// docker's Ellipsis: at most `width` characters, the last one "…" when cut.
std::string ellipsis(const std::string& s, std::size_t width) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (++chars == width) {
      std::size_t rest = i + 1;
      while (rest < s.size() && (static_cast<unsigned char>(s[rest]) & 0xC0) == 0x80) ++rest;
      return rest >= s.size() ? s : s.substr(0, i) + "\u2026";
    }
  }
  return s;
}

struct PsFlags {
  bool all = false, quiet = false, services = false, no_trunc = false, orphans = true;
  std::string format = "table";
  std::vector<std::string> status, filters, names;
};

json ps_row(const ContainerInfo& c, network::NetworkManager& nm, const std::map<std::string, std::string>& volume_of,
            bool no_trunc, std::chrono::system_clock::time_point now) {
  bool running = c.running();
  json publishers = json::array();
  std::string ports;
  if (running)  // an exited container publishes nothing, as compose shows it
    for (const auto& p : nm.published(c.id)) {
      std::string ip = p.host_ip.empty() ? "0.0.0.0" : p.host_ip;
      publishers.push_back({{"URL", ip}, {"TargetPort", p.container_port}, {"PublishedPort", p.host_port},
                            {"Protocol", p.protocol}});
      ports += fmt::format("{}{}:{}->{}/{}", ports.empty() ? "" : ", ", ip, p.host_port, p.container_port, p.protocol);
    }
  std::string command;
  for (const auto& a : c.spec.argv) command += (command.empty() ? "" : " ") + a;
  std::string labels;
  for (const auto& [k, v] : c.labels) labels += (labels.empty() ? "" : ",") + k + "=" + v;
  std::string mounts;
  int local_volumes = 0;
  for (const auto& m : c.spec.mounts) {
    if (m.type == engine::MountSpec::Type::Tmpfs) continue;
    std::string name = m.source;
    if (m.type == engine::MountSpec::Type::VolumeDir) {
      ++local_volumes;
      if (auto it = volume_of.find(m.source); it != volume_of.end()) name = it->second;
    }
    if (!no_trunc) name = ellipsis(name, 15);
    mounts += (mounts.empty() ? "" : ",") + name;
  }
  std::string networks;
  for (const auto& a : nm.attachments(c.id)) networks += (networks.empty() ? "" : ",") + a.network;
  auto created = parse_rfc3339(c.created);
  return {{"ID", no_trunc ? c.id : c.id.substr(0, 12)},
          {"Name", c.name},
          {"Names", c.name},
          {"Image", c.image},
          {"Command", go_quote(no_trunc ? command : ellipsis(command, 20))},
          {"Project", label(c, compose::orchestrate::kProjectLabel)},
          {"Service", label(c, compose::orchestrate::kServiceLabel)},
          {"CreatedAt", created ? go_time_text(*created) : ""},
          {"RunningFor", created ? human_duration(std::max(now - *created, now - now)) + " ago" : ""},
          {"State", engine::to_string(c.state)},
          {"Status", engine::status_text(c, now)},
          {"Health", running ? c.health : ""},
          {"ExitCode", c.exit_code},
          {"Publishers", publishers},
          {"Ports", ports},
          {"Labels", labels},
          {"LocalVolumes", std::to_string(local_volumes)},
          {"Mounts", mounts},
          {"Networks", networks},
          {"Size", "0B"}};
}

int run_ps(const Context& ctx, PsFlags f) {
  // compose's --filter: status=STATE (as --status); source= is not implemented there either.
  for (const auto& flt : f.filters) {
    auto eq = flt.find('=');
    if (eq == std::string::npos) throw UserError("--filter \"" + flt + "\": arguments to --filter should be in form KEY=VAL");
    std::string key = flt.substr(0, eq);
    if (key == "status") f.status.push_back(flt.substr(eq + 1));
    else if (key == "source") throw UserError("--filter source: not implemented (as in docker compose)");
    else throw UserError("--filter: unknown filter " + key + " (supported: status)");
  }
  for (const auto& s : f.status)
    if (std::find(kStates.begin(), kStates.end(), s) == kStates.end())
      throw UserError("--status: invalid value \"" + s + "\" (paused, restarting, removing, running, dead, created, exited)");
  std::optional<GoTemplate> tmpl;
  if (f.format != "json" && !f.quiet && !f.services)
    tmpl.emplace(f.format == "table" ? kDefaultTable : f.format, kFields, "ps", kHeaders);

  compose::Project p = load_project_or_labels(ctx);
  ProjectRuntime pr(ctx.global.state(), p);
  network::NetworkManager nm(ctx.global.state());
  auto list = pr.containers(true, true);  // one-off (`run`) containers too, as compose lists them
  std::vector<ContainerInfo> shown;
  for (const auto& c : list) {
    std::string svc = label(c, compose::orchestrate::kServiceLabel);
    if (!f.all && !c.running() && f.status.empty()) continue;
    if (!f.names.empty() && std::find(f.names.begin(), f.names.end(), svc) == f.names.end()) continue;
    if (!f.status.empty() && std::find(f.status.begin(), f.status.end(), engine::to_string(c.state)) == f.status.end()) continue;
    // --orphans=false: only the services the project file declares (none known without a file)
    if (!f.orphans && !p.services.empty() && !p.services.count(svc)) continue;
    shown.push_back(c);
  }
  if (f.services) {
    std::set<std::string> s;
    for (const auto& c : shown) s.insert(label(c, compose::orchestrate::kServiceLabel));
    for (const auto& n : s) fmt::print("{}\n", n);
    return 0;
  }
  if (f.quiet) {
    for (const auto& c : shown) fmt::print("{}\n", c.id);
    return 0;
  }
  std::map<std::string, std::string> volume_of;  // volume directory -> volume name
  for (const auto& v : volumes::VolumeStore(ctx.global.state()).list()) volume_of[v.source().string()] = v.name;
  auto now = std::chrono::system_clock::now();
  std::vector<json> rows;
  for (const auto& c : shown) rows.push_back(ps_row(c, nm, volume_of, f.no_trunc, now));
  if (!tmpl) {  // JSON Lines, one object per container, as compose prints them
    for (const auto& r : rows) fmt::print("{}\n", r.dump());
    return 0;
  }
  fmt::print("{}", tmpl->render_all(rows));
  return 0;
}

const CommandRegistration ps_reg(20, {"ps"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("ps", "List the project's containers");
  auto f = std::make_shared<PsFlags>();
  cmd->add_flag("-a,--all", f->all, "Show stopped containers too");
  cmd->add_flag("-q,--quiet", f->quiet, "Only ids");
  cmd->add_flag("--services", f->services, "Only service names");
  cmd->add_flag("--no-trunc", f->no_trunc, "Do not truncate the output");
  cmd->add_flag("--orphans", f->orphans, "Include containers of services the project does not declare (default true)");
  cmd->add_option("--format", f->format, "table, json (JSON Lines) or a Go template ({{.Name}}\\t{{.State}})");
  cmd->add_option("--status", f->status, "Filter by state (running, exited, ...)");
  cmd->add_option("--filter", f->filters, "Filter by a property: status=STATE");
  cmd->add_option("services", f->names, "Services");
  cmd->callback([&ctx, f] { ctx.action = [&ctx, f] { return run_ps(ctx, *f); }; });
});

}  // namespace
}  // namespace berth::cli
