// berth ps / images / logs / exec / port / ls: looking at a running project.
#include <fmt/core.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
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

std::string status_text(const ContainerInfo& c) {
  std::string s = engine::to_string(c.state);
  if (c.state == engine::ContainerState::Exited) s += " (" + std::to_string(c.exit_code) + ")";
  if (!c.health.empty()) s += " (" + c.health + ")";
  return s;
}

std::string ports_text(network::NetworkManager& nm, const ContainerInfo& c) {
  std::string out;
  for (const auto& p : nm.published(c.id)) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{}:{}->{}/{}", p.host_ip.empty() ? "0.0.0.0" : p.host_ip, p.host_port, p.container_port, p.protocol);
  }
  return out;
}

struct PsFlags {
  bool all = false, quiet = false, services = false;
  std::string format = "table";
  std::vector<std::string> status, names;
};

int run_ps(const Context& ctx, const PsFlags& f) {
  compose::Project p = load_project_or_labels(ctx);
  ProjectRuntime pr(ctx.global.state(), p);
  network::NetworkManager nm(ctx.global.state());
  auto list = pr.containers(true, true);  // one-off (`run`) containers too, as compose lists them
  std::vector<ContainerInfo> shown;
  for (const auto& c : list) {
    if (!f.all && !c.running() && f.status.empty()) continue;
    if (!f.names.empty() && std::find(f.names.begin(), f.names.end(), service_of(c)) == f.names.end()) continue;
    if (!f.status.empty() && std::find(f.status.begin(), f.status.end(), engine::to_string(c.state)) == f.status.end()) continue;
    shown.push_back(c);
  }
  if (f.services) {
    std::set<std::string> s;
    for (const auto& c : shown) s.insert(service_of(c));
    for (const auto& n : s) fmt::print("{}\n", n);
    return 0;
  }
  if (f.quiet) {
    for (const auto& c : shown) fmt::print("{}\n", c.id);
    return 0;
  }
  if (f.format == "json") {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& c : shown)
      arr.push_back({{"ID", c.id},
                     {"Name", c.name},
                     {"Service", service_of(c)},
                     {"Image", c.image},
                     {"State", engine::to_string(c.state)},
                     {"Health", c.health},
                     {"ExitCode", c.exit_code},
                     {"Status", status_text(c)},
                     {"Publishers", ports_text(nm, c)}});
    fmt::print("{}\n", arr.dump());
    return 0;
  }
  // Columns as wide as their widest cell, three spaces apart, as compose prints them.
  std::vector<std::array<std::string, 5>> rows = {{"NAME", "IMAGE", "SERVICE", "STATUS", "PORTS"}};
  for (const auto& c : shown) rows.push_back({c.name, c.image, service_of(c), status_text(c), ports_text(nm, c)});
  std::array<std::size_t, 5> width{};
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  for (const auto& r : rows)
    fmt::print("{:<{}}   {:<{}}   {:<{}}   {:<{}}   {}\n", r[0], width[0], r[1], width[1], r[2], width[2], r[3],
               width[3], r[4]);
  return 0;
}

const CommandRegistration ps_reg(20, {"ps"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("ps", "List the project's containers");
  auto f = std::make_shared<PsFlags>();
  cmd->add_flag("-a,--all", f->all, "Show stopped containers too");
  cmd->add_flag("-q,--quiet", f->quiet, "Only ids");
  cmd->add_flag("--services", f->services, "Only service names");
  cmd->add_option("--format", f->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("--status", f->status, "Filter by state (running, exited, ...)");
  cmd->add_option("services", f->names, "Services");
  cmd->callback([&ctx, f] { ctx.action = [&ctx, f] { return run_ps(ctx, *f); }; });
});

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
                    {"Size", img ? img->size : 0}});
  }
  if (quiet) {
    for (const auto& id : ids) fmt::print("{}\n", id);
    return 0;
  }
  if (format == "json") {
    fmt::print("{}\n", rows.dump(2));
    return 0;
  }
  fmt::print("{:<30} {:<40} {:<12} {:<14} {:>9}\n", "CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE");
  for (const auto& r : rows)
    fmt::print("{:<30} {:<40} {:<12} {:<14} {:>9}\n", r["ContainerName"].get<std::string>(),
               r["Repository"].get<std::string>(), r["Tag"].get<std::string>(),
               r["ID"].get<std::string>().substr(7, 12), human_size(r["Size"].get<std::int64_t>()));
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
  cmd->add_flag("-f,--follow", o->follow, "Follow the output");
  cmd->add_flag("-t,--timestamps", o->timestamps, "Show timestamps");
  cmd->add_option("--since", o->since, "Since a time or a duration before now (10m)");
  cmd->add_option("-n,--tail", *tail, "Number of lines from the end of each container's log, or all");
  cmd->add_flag("--no-color", *no_color, "Monochrome output");
  cmd->add_option("services", *services, "Services");
  cmd->callback([&ctx, o, tail, no_color, services] {
    ctx.action = [&ctx, o, tail, no_color, services] {
      if (*tail != "all") o->tail = std::stoul(*tail);
      compose::Project p = load_project_or_labels(ctx);
      ProjectRuntime pr(ctx.global.state(), p);
      std::vector<ContainerInfo> list;
      for (const auto& c : pr.containers(true))
        if (services->empty() || std::find(services->begin(), services->end(), service_of(c)) != services->end())
          list.push_back(c);
      LogPrinter printer(list, !*no_color);
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

const CommandRegistration ls_reg(24, {"ls"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("ls", "List the projects on this host");
  auto all = std::make_shared<bool>(false);
  auto format = std::make_shared<std::string>("table");
  cmd->add_flag("-a,--all", *all, "Show stopped projects too");
  cmd->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([&ctx, all, format] {
    ctx.action = [&ctx, all, format] {
      struct Row {
        int running = 0, exited = 0;
        std::set<std::string> files;
        std::string owner;  // `berth test`'s pid, for its projects (cli/compose_test.cpp)
      };
      std::map<std::string, Row> projects;
      for (const auto& c : engine::Runtime(ctx.global.state()).list()) {
        auto it = c.labels.find(compose::orchestrate::kProjectLabel);
        if (it == c.labels.end()) continue;
        Row& r = projects[it->second];
        (c.running() ? r.running : r.exited)++;
        if (auto f = c.labels.find(compose::orchestrate::kConfigFilesLabel); f != c.labels.end()) r.files.insert(f->second);
        if (auto o = c.labels.find("berth.test.owner"); o != c.labels.end()) r.owner = o->second;
      }
      nlohmann::json arr = nlohmann::json::array();
      if (*format == "table") fmt::print("{:<24}{:<28}{}\n", "NAME", "STATUS", "CONFIG FILES");
      for (const auto& [name, r] : projects) {
        if (!*all && r.running == 0) continue;
        std::string status = r.running ? fmt::format("running({})", r.running) : fmt::format("exited({})", r.exited);
        std::string files;
        for (const auto& f : r.files) files += (files.empty() ? "" : ",") + f;
        if (*format == "json") {
          arr.push_back({{"Name", name}, {"Status", status}, {"ConfigFiles", files}});
          if (!r.owner.empty()) arr.back()["Owner"] = "berth test pid " + r.owner;
        } else {
          if (!r.owner.empty()) status += ", berth test pid " + r.owner;
          fmt::print("{:<24}{:<28}{}\n", name, status, files);
        }
      }
      if (*format == "json") fmt::print("{}\n", arr.dump());
      return 0;
    };
  });
});

}  // namespace
}  // namespace berth::cli
