// berth container ...: the runtime's operations on single containers (docker container ...).
#include <fmt/core.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "cli/command.hpp"
#include "engine/image/image_store.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::cli {
namespace {

using engine::Runtime;

struct RunFlags {
  std::string name;
  std::vector<std::string> env;
  bool detach = false, rm = false, tty = false, interactive = false, init = false, read_only = false;
  std::string user, workdir, entrypoint;
  std::vector<std::string> args;  // IMAGE [COMMAND...]
};

std::string create_from_image(const Context& ctx, const RunFlags& f) {
  if (f.args.empty()) throw UserError("container: an image is required");
  engine::ImageStore store(ctx.global.state());
  engine::Image image = store.get(f.args[0]);
  engine::ImageConfig cfg = store.config(image);
  engine::ContainerSpec spec;
  spec.name = f.name;
  spec.image = f.args[0];
  spec.image_id = image.id;
  spec.lower_dirs = store.layer_dirs(image);
  std::vector<std::string> cmd(f.args.begin() + 1, f.args.end());
  std::vector<std::string> ep = cfg.entrypoint.value_or(std::vector<std::string>{});
  if (!f.entrypoint.empty()) ep = {f.entrypoint};
  if (cmd.empty() && f.entrypoint.empty()) cmd = cfg.cmd.value_or(std::vector<std::string>{});
  spec.argv = ep;
  spec.argv.insert(spec.argv.end(), cmd.begin(), cmd.end());
  spec.env = cfg.env;
  spec.env.insert(spec.env.end(), f.env.begin(), f.env.end());
  spec.working_dir = f.workdir.empty() ? cfg.working_dir : f.workdir;
  spec.user = f.user.empty() ? cfg.user : f.user;
  spec.tty = f.tty;
  spec.stdin_open = f.interactive;
  spec.init = f.init;
  spec.read_only = f.read_only;
  if (!cfg.stop_signal.empty()) spec.stop_signal = cfg.stop_signal;
  return Runtime(ctx.global.state()).create(spec);
}

void print_logs(Runtime& rt, const std::string& id, const engine::LogsOptions& o) {
  rt.logs(id, o, [&](const engine::LogEntry& e) {
    std::FILE* out = e.stream == "stderr" ? stderr : stdout;
    if (o.timestamps) fmt::print(out, "{} ", e.time);
    fmt::print(out, "{}", e.line);
    std::fflush(out);
  });
}

void add_run_flags(CLI::App* cmd, RunFlags& f) {
  cmd->add_option("--name", f.name, "Container name");
  cmd->add_option("-e,--env", f.env, "Environment variable KEY=VALUE");
  cmd->add_option("-u,--user", f.user, "User (name|uid[:gid])");
  cmd->add_option("-w,--workdir", f.workdir, "Working directory");
  cmd->add_option("--entrypoint", f.entrypoint, "Override the image's entrypoint");
  cmd->add_flag("-t,--tty", f.tty, "Allocate a terminal");
  cmd->add_flag("-i,--interactive", f.interactive, "Keep stdin open");
  cmd->add_flag("--init", f.init, "Run a reaper as PID 1");
  cmd->add_flag("--read-only", f.read_only, "Read-only root filesystem");
  cmd->add_option("image", f.args, "IMAGE [COMMAND [ARG...]]")->required();
  cmd->positionals_at_end();  // IMAGE ends the options: `sh -c ...` belongs to the command
}

const CommandRegistration reg(300, [](CLI::App& app, Context& ctx) {
  auto* c = app.add_subcommand("container", "Manage single containers");
  c->require_subcommand(1);

  auto run = std::make_shared<RunFlags>();
  auto* run_cmd = c->add_subcommand("run", "Create and start a container");
  run_cmd->add_flag("-d,--detach", run->detach, "Run in the background and print the id");
  run_cmd->add_flag("--rm", run->rm, "Remove the container when it exits");
  add_run_flags(run_cmd, *run);
  run_cmd->callback([&ctx, run] {
    ctx.action = [&ctx, run] {
      std::string id = create_from_image(ctx, *run);
      Runtime rt(ctx.global.state());
      try {
        rt.start(id);
      } catch (...) {
        rt.remove(id, true);
        throw;
      }
      if (run->detach) {
        fmt::print("{}\n", id);
        return 0;
      }
      engine::LogsOptions o;
      o.follow = true;
      print_logs(rt, id, o);
      int rc = rt.wait(id);
      if (run->rm) rt.remove(id, true);
      return rc;
    };
  });

  auto create = std::make_shared<RunFlags>();
  auto* create_cmd = c->add_subcommand("create", "Create a container");
  add_run_flags(create_cmd, *create);
  create_cmd->callback([&ctx, create] {
    ctx.action = [&ctx, create] {
      fmt::print("{}\n", create_from_image(ctx, *create));
      return 0;
    };
  });

  auto names = std::make_shared<std::vector<std::string>>();
  auto time = std::make_shared<int>(-1);
  auto force = std::make_shared<bool>(false);
  auto signal = std::make_shared<int>(9);
  auto each = [&ctx, names](auto fn) {
    return [&ctx, names, fn] {
      Runtime rt(ctx.global.state());
      int rc = 0;
      for (const auto& n : *names) {
        try {
          fn(rt, rt.inspect(n).id);
          fmt::print("{}\n", n);
        } catch (const std::exception& e) {
          fmt::print(stderr, "berth: {}: {}\n", n, describe(e));
          rc = 1;
        }
      }
      return rc;
    };
  };
  auto grace = [time]() -> std::optional<std::chrono::seconds> {
    if (*time < 0) return std::nullopt;
    return std::chrono::seconds(*time);
  };
  struct Simple {
    const char* name;
    const char* help;
    std::function<void(Runtime&, const std::string&)> fn;
  };
  std::vector<Simple> simple = {
      {"start", "Start containers", [](Runtime& rt, const std::string& id) { rt.start(id); }},
      {"stop", "Stop containers", [grace](Runtime& rt, const std::string& id) { rt.stop(id, grace()); }},
      {"restart", "Restart containers", [grace](Runtime& rt, const std::string& id) { rt.restart(id, grace()); }},
      {"kill", "Kill containers", [signal](Runtime& rt, const std::string& id) { rt.kill(id, *signal); }},
      {"pause", "Pause containers", [](Runtime& rt, const std::string& id) { rt.pause(id); }},
      {"unpause", "Unpause containers", [](Runtime& rt, const std::string& id) { rt.unpause(id); }},
      {"rm", "Remove containers", [force](Runtime& rt, const std::string& id) { rt.remove(id, *force); }},
  };
  for (auto& s : simple) {
    auto* cmd = c->add_subcommand(s.name, s.help);
    cmd->add_option("containers", *names, "Names or ids")->required();
    if (std::string(s.name) == "stop" || std::string(s.name) == "restart")
      cmd->add_option("-t,--time", *time, "Seconds to wait before killing");
    if (std::string(s.name) == "kill") cmd->add_option("-s,--signal", *signal, "Signal number");
    if (std::string(s.name) == "rm") cmd->add_flag("-f,--force", *force, "Kill a running container first");
    auto fn = s.fn;
    cmd->callback([&ctx, each, fn] { ctx.action = each(fn); });
  }

  auto all = std::make_shared<bool>(false);
  auto format = std::make_shared<std::string>("table");
  auto* ls = c->add_subcommand("ls", "List containers");
  ls->alias("ps");
  ls->add_flag("-a,--all", *all, "Include stopped containers");
  ls->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  ls->callback([&ctx, all, format] {
    ctx.action = [&ctx, all, format] {
      Runtime rt(ctx.global.state());
      auto list = rt.list();
      if (*format == "json") {
        for (const auto& i : list) {
          if (!*all && !i.running()) continue;
          fmt::print("{}\n", nlohmann::json{{"ID", i.id.substr(0, 12)}, {"Name", i.name}, {"Image", i.image},
                                            {"State", engine::to_string(i.state)}, {"ExitCode", i.exit_code}}
                                 .dump());
        }
        return 0;
      }
      fmt::print("{:<14}{:<28}{:<32}{}\n", "CONTAINER ID", "NAME", "IMAGE", "STATUS");
      for (const auto& i : list) {
        if (!*all && !i.running()) continue;
        std::string status = engine::to_string(i.state);
        if (i.state == engine::ContainerState::Exited) status += " (" + std::to_string(i.exit_code) + ")";
        fmt::print("{:<14}{:<28}{:<32}{}\n", i.id.substr(0, 12), i.name, i.image, status);
      }
      return 0;
    };
  });

  auto one = std::make_shared<std::string>();
  auto* inspect = c->add_subcommand("inspect", "Show a container as JSON");
  inspect->add_option("container", *one, "Name or id")->required();
  inspect->callback([&ctx, one] {
    ctx.action = [&ctx, one] {
      auto i = Runtime(ctx.global.state()).inspect(*one);
      nlohmann::json j{{"Id", i.id},
                       {"Name", i.name},
                       {"Image", i.image},
                       {"ImageId", i.image_id},
                       {"Created", i.created},
                       {"Labels", i.labels},
                       {"State",
                        {{"Status", engine::to_string(i.state)},
                         {"Pid", i.pid},
                         {"ExitCode", i.exit_code},
                         {"StartedAt", i.started_at},
                         {"FinishedAt", i.finished_at},
                         {"OOMKilled", i.oom_killed},
                         {"RestartCount", i.restart_count},
                         {"Error", i.error},
                         {"Health", i.health}}},
                       {"Args", i.spec.argv},
                       {"Env", i.spec.env},
                       {"LogPath", i.log_path.string()},
                       {"NetnsPath", i.netns_path.string()}};
      fmt::print("{}\n", j.dump(2));
      return 0;
    };
  });

  auto logs = std::make_shared<engine::LogsOptions>();
  auto tail = std::make_shared<std::string>("all");
  auto* logs_cmd = c->add_subcommand("logs", "Show a container's output");
  logs_cmd->add_option("container", *one, "Name or id")->required();
  logs_cmd->add_flag("-f,--follow", logs->follow, "Follow the output");
  logs_cmd->add_flag("-t,--timestamps", logs->timestamps, "Show timestamps");
  logs_cmd->add_option("--since", logs->since, "Since a time or a duration before now (10m)");
  logs_cmd->add_option("--tail", *tail, "Number of lines from the end, or all");
  logs_cmd->callback([&ctx, one, logs, tail] {
    ctx.action = [&ctx, one, logs, tail] {
      engine::LogsOptions o = *logs;
      if (*tail != "all") o.tail = std::stoul(*tail);
      Runtime rt(ctx.global.state());
      print_logs(rt, rt.inspect(*one).id, o);
      return 0;
    };
  });

  auto ex = std::make_shared<engine::ExecOptions>();
  auto ex_args = std::make_shared<std::vector<std::string>>();
  auto* exec = c->add_subcommand("exec", "Run a command in a running container");
  exec->add_flag("-t,--tty", ex->tty, "Allocate a terminal");
  exec->add_flag("-i,--interactive", ex->interactive, "Keep stdin open");
  exec->add_option("-u,--user", ex->user, "User");
  exec->add_option("-w,--workdir", ex->working_dir, "Working directory");
  exec->add_option("-e,--env", ex->env, "Environment variable KEY=VALUE");
  exec->add_option("args", *ex_args, "CONTAINER COMMAND [ARG...]")->required();
  exec->positionals_at_end();
  exec->callback([&ctx, ex, ex_args] {
    ctx.action = [&ctx, ex, ex_args] {
      if (ex_args->size() < 2) throw UserError("exec: a container and a command are required");
      engine::ExecOptions o = *ex;
      o.argv.assign(ex_args->begin() + 1, ex_args->end());
      Runtime rt(ctx.global.state());
      return rt.exec(rt.inspect((*ex_args)[0]).id, o);
    };
  });
});

}  // namespace
}  // namespace berth::cli
