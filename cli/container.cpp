// berth container ...: the runtime's operations on single containers (docker container ...).
#include <fmt/core.h>
#include <unistd.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "cli/command.hpp"
#include "cli/foreground_output.hpp"
#include "engine/image/image_store.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::cli {
namespace {

using engine::Runtime;

struct RunFlags {
  std::string name;
  std::vector<std::string> env;
  bool detach = false, rm = false, tty = false, interactive = false, init = false, read_only = false;
  bool privileged = false;
  std::string user, workdir, entrypoint, hostname;
  std::vector<std::string> cap_add, cap_drop, security_opt, log_opt, devices, device_cgroup_rules, labels;
  std::string memory, memory_swap, memory_reservation, cpuset_cpus, restart = "no", stop_signal, shm_size;
  double cpus = 0;
  std::int64_t pids_limit = 0;
  int stop_timeout = -1;
  std::vector<std::string> args;  // IMAGE [COMMAND...]
};

void apply_security_opts(const std::vector<std::string>& opts, engine::ContainerSpec& spec) {
  for (const auto& o : opts) {
    std::string key = o, value;
    if (auto sep = o.find_first_of("=:"); sep != std::string::npos) key = o.substr(0, sep), value = o.substr(sep + 1);
    if (key == "no-new-privileges" && (value.empty() || value == "true" || value == "false"))
      spec.no_new_privileges = value != "false";
    else if (key == "seccomp" && value == "unconfined")
      spec.seccomp_unconfined = true;
    else
      throw UserError("--security-opt: unsupported option \"" + o + "\" (no-new-privileges[:true|false], seccomp=unconfined)");
  }
}

void apply_log_opts(const std::vector<std::string>& opts, engine::ContainerSpec& spec) {
  for (const auto& o : opts) {
    auto eq = o.find('=');
    std::string key = o.substr(0, eq), value = eq == std::string::npos ? "" : o.substr(eq + 1);
    if (key == "max-size") {
      spec.log.max_size = value == "-1" ? 0 : parse_bytes("--log-opt max-size", value);  // -1: never rotate
    } else if (key == "max-file") {
      try {
        std::size_t used = 0;
        spec.log.max_file = std::stoi(value, &used);
        if (used != value.size()) throw std::invalid_argument(value);
      } catch (const std::exception&) {
        throw UserError("--log-opt max-file: invalid number \"" + value + "\"");
      }
    } else {
      throw UserError("--log-opt: unsupported option \"" + o + "\" (max-size, max-file)");
    }
  }
}

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
  if (!f.stop_signal.empty()) spec.stop_signal = f.stop_signal;
  if (f.stop_timeout >= 0) spec.stop_grace_period = std::chrono::seconds(f.stop_timeout);
  spec.hostname = f.hostname;
  for (const auto& l : f.labels) {  // KEY=VALUE, or KEY alone for an empty value (as docker run)
    auto eq = l.find('=');
    if (eq == 0) throw UserError("--label \"" + l + "\": the key is empty");
    spec.labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  spec.cap_add = f.cap_add;
  spec.cap_drop = f.cap_drop;
  spec.privileged = f.privileged;
  spec.devices = f.devices;
  spec.device_cgroup_rules = f.device_cgroup_rules;
  apply_security_opts(f.security_opt, spec);
  apply_log_opts(f.log_opt, spec);
  spec.restart = engine::parse_restart_policy(f.restart);
  if (f.rm && spec.restart.kind != engine::RestartPolicy::Kind::No)
    throw UserError("conflicting options: cannot specify both --restart and --rm");
  auto& r = spec.resources;
  if (!f.memory.empty()) r.memory = parse_bytes("--memory", f.memory);
  if (!f.shm_size.empty()) spec.shm_size = parse_bytes("--shm-size", f.shm_size);
  if (!f.memory_swap.empty()) r.memory_swap = f.memory_swap == "-1" ? -1 : parse_bytes("--memory-swap", f.memory_swap);
  if (!f.memory_reservation.empty()) r.memory_reservation = parse_bytes("--memory-reservation", f.memory_reservation);
  r.cpus = f.cpus;
  r.cpuset_cpus = f.cpuset_cpus;
  r.pids_limit = f.pids_limit;
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
  cmd->add_option("-e,--env", f.env, "Environment variable KEY=VALUE")->allow_extra_args(false);
  cmd->add_option("-l,--label", f.labels, "Label KEY=VALUE (repeatable)")->allow_extra_args(false);
  cmd->add_option("-u,--user", f.user, "User (name|uid[:gid])");
  cmd->add_option("-w,--workdir", f.workdir, "Working directory");
  cmd->add_option("--entrypoint", f.entrypoint, "Override the image's entrypoint");
  cmd->add_flag("-t,--tty", f.tty, "Allocate a terminal");
  cmd->add_flag("-i,--interactive", f.interactive, "Keep stdin open");
  cmd->add_flag("--init", f.init, "Run a reaper as PID 1");
  cmd->add_flag("--read-only", f.read_only, "Read-only root filesystem");
  cmd->add_option("--hostname", f.hostname, "Container host name");
  // One value per occurrence (repeat the flag), so that IMAGE is never taken as a value.
  cmd->add_option("--cap-add", f.cap_add, "Add a Linux capability")->allow_extra_args(false);
  cmd->add_option("--cap-drop", f.cap_drop, "Drop a Linux capability")->allow_extra_args(false);
  cmd->add_flag("--privileged", f.privileged, "All capabilities and devices, no seccomp, no masked paths");
  cmd->add_option("--device", f.devices, "Add a host device: HOST[:CONTAINER][:PERMISSIONS] (rwm)")->allow_extra_args(false);
  cmd->add_option("--device-cgroup-rule", f.device_cgroup_rules, "Allow devices: 'TYPE MAJOR:MINOR ACCESS' ('c 1:3 rwm')")
      ->allow_extra_args(false);
  cmd->add_option("--security-opt", f.security_opt, "no-new-privileges[:true|false], seccomp=unconfined")
      ->allow_extra_args(false);
  cmd->add_option("-m,--memory", f.memory, "Memory limit (64m, 1g)");
  cmd->add_option("--shm-size", f.shm_size, "Size of /dev/shm (default 64m)");
  cmd->add_option("--memory-swap", f.memory_swap, "Memory plus swap limit, -1 for unlimited swap");
  cmd->add_option("--memory-reservation", f.memory_reservation, "Memory soft limit");
  cmd->add_option("--cpus", f.cpus, "Number of CPUs (1.5)");
  cmd->add_option("--cpuset-cpus", f.cpuset_cpus, "CPUs allowed (0-1, 0,2)");
  cmd->add_option("--pids-limit", f.pids_limit, "Maximum number of processes, -1 for unlimited");
  cmd->add_option("--restart", f.restart, "Restart policy: no, always, on-failure[:N], unless-stopped");
  cmd->add_option("--log-opt", f.log_opt, "Log option: max-size=SIZE, max-file=N")->allow_extra_args(false);
  cmd->add_option("--stop-signal", f.stop_signal, "Signal that stops the container");
  cmd->add_option("--stop-timeout", f.stop_timeout, "Seconds to wait before killing on stop");
  cmd->add_option("image", f.args, "IMAGE [COMMAND [ARG...]]")->required();
  cmd->positionals_at_end();  // IMAGE ends the options: `sh -c ...` belongs to the command
}

const CommandRegistration reg(300, {"container"}, [](CLI::App& app, Context& ctx) {
  auto* c = command_group(app, "container", "Manage single containers");
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
      show_foreground_output(rt, id);
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
  auto quiet = std::make_shared<bool>(false);
  ls->add_flag("-q,--quiet", *quiet, "Only show container ids");
  ls->callback([&ctx, all, format, quiet] {
    ctx.action = [&ctx, all, format, quiet] {
      Runtime rt(ctx.global.state());
      auto list = rt.list();
      if (*quiet) {
        for (const auto& i : list)
          if (*all || i.running()) fmt::print("{}\n", i.id.substr(0, 12));
        return 0;
      }
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
  exec->add_option("-e,--env", ex->env, "Environment variable KEY=VALUE")->allow_extra_args(false);
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
