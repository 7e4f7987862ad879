// berth ps / images / logs / exec / port / ls: looking at a running project.
#include <fmt/core.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/go_template.hpp"
#include "base/human_duration.hpp"
#include "cli/compose_logs.hpp"
#include "cli/compose_project.hpp"
#include "base/human_size.hpp"
#include "engine/image/image_store.hpp"
#include "compose/orchestrate/labels.hpp"
#include "network/network_manager.hpp"

namespace berth::cli {
namespace {

using compose::orchestrate::ProjectRuntime;
using engine::ContainerInfo;

std::string service_of(const ContainerInfo& c) {
  auto it = c.labels.find(compose::orchestrate::kServiceLabel);
  return it == c.labels.end() ? "" : it->second;
}

// As `docker compose images`: the image of each of the project's containers.
int run_images(const Context& ctx, const std::string& format, bool quiet, const std::vector<std::string>& names) {
  compose::Project p = load_project(ctx);
  ProjectRuntime pr(ctx.global.state(), p);
  engine::ImageStore store(ctx.global.state());
  nlohmann::json rows = nlohmann::json::array();
  std::set<std::string> ids;
  for (const auto& c : pr.containers(true)) {
    if (!names.empty() && std::find(names.begin(), names.end(), service_of(c)) == names.end()) continue;
    auto img = store.find(c.image_id);
    std::string repo = c.image, tag;
    try {
      auto ref = engine::parse_reference(c.image);
      std::string fam = ref.familiar();
      if (!ref.tag.empty() && fam.size() > ref.tag.size()) {
        repo = fam.substr(0, fam.size() - ref.tag.size() - 1);
        tag = ref.tag;
      }
    } catch (const UserError&) {  // an image id rather than a reference: shown as given
    }
    ids.insert(c.image_id);
    rows.push_back({{"ID", c.image_id}, {"ContainerName", c.name}, {"Repository", repo}, {"Tag", tag},
                    {"Size", img ? img->size : 0}, {"Created", img ? img->created : ""}});
  }
  if (quiet) {
    for (const auto& id : ids) fmt::print("{}\n", id);
    return 0;
  }
  if (format == "json") {
    fmt::print("{}\n", rows.dump(2));
    return 0;
  }
  // compose's columns; CREATED as docker says how long ago ("2 weeks ago").
  std::vector<std::string> lines = {"CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE\tCREATED"};
  auto now = std::chrono::system_clock::now();
  for (const auto& r : rows) {
    auto created = parse_rfc3339(r["Created"].get<std::string>());
    std::string ago = created ? human_duration(std::max(now - *created, now - now)) + " ago" : "N/A";
    lines.push_back(r["ContainerName"].get<std::string>() + "\t" + r["Repository"].get<std::string>() + "\t" +
                    r["Tag"].get<std::string>() + "\t" + r["ID"].get<std::string>().substr(7, 12) + "\t" +
                    human_size(r["Size"].get<std::int64_t>()) + "\t" + ago);
  }
  fmt::print("{}", align_columns(lines, 20));
  return 0;
}

const CommandRegistration images_reg(25, {"images"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("images", "List the images of the project's containers");
  auto format = std::make_shared<std::string>("table");
  auto quiet = std::make_shared<bool>(false);
  auto names = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_flag("-q,--quiet", *quiet, "Only image ids");
  cmd->add_option("services", *names, "Services");
  cmd->callback([&ctx, format, quiet, names] {
    ctx.action = [&ctx, format, quiet, names] { return run_images(ctx, *format, *quiet, *names); };
  });
});

const CommandRegistration logs_reg(21, {"logs"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("logs", "Show the output of the project's containers");
  auto o = std::make_shared<engine::LogsOptions>();
  auto tail = std::make_shared<std::string>("all");
  auto no_color = std::make_shared<bool>(false);
  auto services = std::make_shared<std::vector<std::string>>();
  auto no_prefix = std::make_shared<bool>(false);
  auto index = std::make_shared<int>(0);
  cmd->add_flag("-f,--follow", o->follow, "Follow the output");
  cmd->add_flag("-t,--timestamps", o->timestamps, "Show timestamps");
  cmd->add_option("--since", o->since, "Since a time or a duration before now (10m)");
  cmd->add_option("--until", o->until, "Until a time or a duration before now (10m)");
  cmd->add_flag("--no-log-prefix", *no_prefix, "Print the lines without the container's name");
  cmd->add_option("--index", *index, "Only this replica of the service(s)")->check(CLI::PositiveNumber);
  cmd->add_option("-n,--tail", *tail, "Number of lines from the end of each container's log, or all");
  cmd->add_flag("--no-color", *no_color, "Monochrome output");
  cmd->add_option("services", *services, "Services");
  cmd->callback([&ctx, o, tail, no_color, services, no_prefix, index] {
    ctx.action = [&ctx, o, tail, no_color, services, no_prefix, index] {
      if (*tail != "all") {
        try {
          o->tail = std::stoul(*tail);
        } catch (const std::exception&) {
          throw UserError("--tail: \"" + *tail + "\" is neither a number nor all");
        }
      }
      compose::Project p = load_project_or_labels(ctx);
      ProjectRuntime pr(ctx.global.state(), p);
      std::vector<ContainerInfo> list;
      for (const auto& c : pr.containers(true))
        if (services->empty() || std::find(services->begin(), services->end(), service_of(c)) != services->end())
          if (*index == 0 || (c.labels.count(compose::orchestrate::kNumberLabel) &&
                              c.labels.at(compose::orchestrate::kNumberLabel) == std::to_string(*index)))
            list.push_back(c);
      LogPrinter printer(list, !*no_color, !*no_prefix);
      std::vector<std::thread> threads;
      for (const auto& c : list) threads.emplace_back([&, c] { printer.follow(pr.runtime(), c, *o); });
      for (auto& t : threads) t.join();
      return 0;
    };
  });
});

struct ExecFlags {
  bool no_tty = false, detach = false, privileged = false, tty = true, interactive = true;
  std::string user, workdir;
  std::vector<std::string> env, args;
  int index = 1;
};

const CommandRegistration exec_reg(22, {"exec"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("exec", "Run a command in a running service container");
  auto f = std::make_shared<ExecFlags>();
  cmd->add_flag("-T,--no-TTY", f->no_tty, "Do not allocate a terminal");
  cmd->add_flag("-t,--tty", f->tty, "Allocate a terminal when this is one (default true; -t=false as -T)");
  cmd->add_flag("-i,--interactive", f->interactive, "Keep stdin open (default true)");
  cmd->add_flag("-d,--detach", f->detach, "Run the command in the background");
  cmd->add_flag("--privileged", f->privileged, "Extended privileges");
  cmd->add_option("-u,--user", f->user, "User");
  cmd->add_option("-w,--workdir", f->workdir, "Working directory");
  cmd->add_option("-e,--env", f->env, "Environment variable KEY=VALUE (or KEY, from this environment)");
  cmd->add_option("--index", f->index, "Replica number of the service");
  cmd->add_option("args", f->args, "SERVICE COMMAND [ARG...]")->required();
  cmd->positionals_at_end();
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      if (f->args.size() < 2) throw UserError("exec: a service and a command are required");
      compose::Project p = load_project(ctx);
      ProjectRuntime pr(ctx.global.state(), p);
      for (const auto& c : pr.containers(false))
        if (service_of(c) == f->args[0] && c.labels.at(compose::orchestrate::kNumberLabel) == std::to_string(f->index)) {
          engine::ExecOptions o;
          o.argv.assign(f->args.begin() + 1, f->args.end());
          // `-e KEY` passes this environment's value, and nothing when it has none (as compose).
          for (const auto& e : f->env)
            if (e.find('=') != std::string::npos)
              o.env.push_back(e);
            else if (const char* v = std::getenv(e.c_str()))
              o.env.push_back(e + "=" + v);
          o.user = f->user;
          o.working_dir = f->workdir;
          // As compose: stdin is kept (-i defaults to true) also without a terminal, so
          // `exec -T db psql < dump.sql` reads the dump; a tty only when this is a terminal.
          o.detach = f->detach;
          o.tty = !f->detach && !f->no_tty && f->tty && ::isatty(0) && ::isatty(1);
          o.interactive = f->interactive && !f->detach;
          o.privileged = f->privileged;
          return pr.runtime().exec(c.id, o);
        }
      throw UserError("service \"" + f->args[0] + "\" is not running");
    };
  });
});

const CommandRegistration port_reg(23, {"port"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("port", "Print the public port of a service's private port");
  auto service = std::make_shared<std::string>();
  auto private_port = std::make_shared<std::string>();
  auto protocol = std::make_shared<std::string>("tcp");
  auto index = std::make_shared<int>(1);
  cmd->add_option("service", *service, "Service")->required();
  cmd->add_option("private_port", *private_port, "Private port")->required();
  cmd->add_option("--protocol", *protocol, "tcp or udp");
  cmd->add_option("--index", *index, "Replica number");
  cmd->callback([&ctx, service, private_port, protocol, index] {
    ctx.action = [&ctx, service, private_port, protocol, index] {
      compose::Project p = load_project(ctx);
      ProjectRuntime pr(ctx.global.state(), p);
      network::NetworkManager nm(ctx.global.state());
      for (const auto& c : pr.containers(false))
        if (service_of(c) == *service && c.labels.at(compose::orchestrate::kNumberLabel) == std::to_string(*index))
          for (const auto& pp : nm.published(c.id))
            if (std::to_string(pp.container_port) == *private_port && pp.protocol == *protocol) {
              fmt::print("{}:{}\n", pp.host_ip.empty() ? "0.0.0.0" : pp.host_ip, pp.host_port);
              return 0;
            }
      throw UserError("no port " + *private_port + "/" + *protocol + " published for service " + *service);
    };
  });
});

// As compose ls: every state counted ("exited(1), running(2)", states in alphabetical order, as
// compose sorts them); without -a only projects with a running container, counting those.
const CommandRegistration ls_reg(24, {"ls"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("ls", "List the projects on this host");
  auto all = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  auto format = std::make_shared<std::string>("table");
  auto filters = std::make_shared<std::vector<std::string>>();
  cmd->add_flag("-a,--all", *all, "Show stopped projects too");
  cmd->add_flag("-q,--quiet", *quiet, "Only the project names");
  cmd->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("--filter", *filters, "name=PATTERN (a regular expression the name must contain a match of)");
  cmd->callback([&ctx, all, quiet, format, filters] {
    ctx.action = [&ctx, all, quiet, format, filters] {
      std::vector<std::regex> names;
      for (const auto& f : *filters) {
        auto eq = f.find('=');
        if (eq == std::string::npos || f.substr(0, eq) != "name")
          throw UserError("--filter \"" + f + "\": invalid filter (supported: name=PATTERN)");
        try {
          names.emplace_back(f.substr(eq + 1));
        } catch (const std::regex_error& e) {
          throw UserError("--filter \"" + f + "\": " + e.what());
        }
      }
      struct Row {
        std::map<std::string, int> states;
        std::set<std::string> files;
      };
      std::map<std::string, Row> projects;
      for (const auto& c : engine::Runtime(ctx.global.state()).list()) {
        auto it = c.labels.find(compose::orchestrate::kProjectLabel);
        if (it == c.labels.end()) continue;
        if (!*all && !c.running() && c.state != engine::ContainerState::Restarting) continue;
        Row& r = projects[it->second];
        r.states[engine::to_string(c.state)]++;
        if (auto f = c.labels.find(compose::orchestrate::kConfigFilesLabel); f != c.labels.end()) r.files.insert(f->second);
      }
      nlohmann::json arr = nlohmann::json::array();
      std::vector<std::string> lines = {"NAME\tSTATUS\tCONFIG FILES"};
      for (const auto& [name, r] : projects) {
        if (!std::all_of(names.begin(), names.end(), [&](const std::regex& re) { return std::regex_search(name, re); }))
          continue;
        if (*quiet) {
          fmt::print("{}\n", name);
          continue;
        }
        std::string status;
        for (const auto& [state, n] : r.states) status += fmt::format("{}{}({})", status.empty() ? "" : ", ", state, n);
        std::string files;
        for (const auto& f : r.files) files += (files.empty() ? "" : ",") + f;
        arr.push_back({{"Name", name}, {"Status", status}, {"ConfigFiles", files}});
        lines.push_back(name + "\t" + status + "\t" + files);
      }
      if (*quiet) return 0;
      if (*format == "json")
        fmt::print("{}\n", arr.dump());
      else
        fmt::print("{}", align_columns(lines, 20));
      return 0;
    };
  });
});

}  // namespace
}  // namespace berth::cli
