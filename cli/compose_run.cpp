// berth run: a one-off command in a new container of a service (compose's `run`).
#include <fmt/core.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "base/error.hpp"
#include "cli/compose_project.hpp"
#include "cli/foreground_output.hpp"
#include "compose/normalize/ports_volumes.hpp"
#include "compose/normalize/values.hpp"
#include "network/network_manager.hpp"

namespace berth::cli {
namespace {

using compose::orchestrate::ProjectRuntime;
using compose::orchestrate::RunOptions;

struct RunFlags {
  bool detach = false, rm = false, no_deps = false, service_ports = false, no_tty = false, tty = false;
  bool interactive = true, use_aliases = false;
  std::string entrypoint, workdir, user, name, pull;
  std::vector<std::string> env, volumes, publish, labels, args, cap_add, cap_drop;
};

compose::Node scalar_seq(const std::vector<std::string>& items) {
  compose::Node seq = compose::Node::make_seq();
  for (const auto& i : items) seq.items.push_back(compose::Node::make_scalar(i));
  return seq;
}

// `run -d --rm`: a detached "berth __remove-on-exit" (hidden_modes.cpp) waits for the container
// and removes it. Only async-signal-safe calls between fork and exec: this process has threads.
void remove_on_exit(const StatePaths& paths, const std::string& id) {
  std::string root = paths.root.string();
  const char* argv[] = {"berth", "__remove-on-exit", root.c_str(), id.c_str(), nullptr};
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) throw_errno("open", "/dev/null");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);  // the grandchild is adopted by init
    for (int fd = 0; fd < 3; ++fd) ::dup2(devnull, fd);
    ::execv("/proc/self/exe", const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(devnull);
  if (pid < 0) throw_errno("fork");
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

int run_oneoff(const Context& ctx, const RunFlags& f) {
  compose::Project p = load_project(ctx, {f.args[0]});
  RunOptions o;
  o.service = f.args[0];
  if (f.args.size() > 1) o.command = std::vector<std::string>(f.args.begin() + 1, f.args.end());
  if (!f.entrypoint.empty()) o.entrypoint = compose::norm::shell_split(f.entrypoint);
  o.env = f.env;
  o.volumes = compose::norm::volumes(scalar_seq(f.volumes), "run -v");
  for (auto& v : o.volumes)
    if (v.type == compose::VolumeType::Bind && !std::filesystem::path(v.source).is_absolute())
      v.source = (std::filesystem::path(p.working_dir) / v.source).lexically_normal().string();
  o.ports = compose::norm::ports(scalar_seq(f.publish), "run -p");
  o.service_ports = f.service_ports;
  o.no_deps = f.no_deps;
  o.working_dir = f.workdir;
  o.user = f.user;
  o.name = f.name;
  o.use_aliases = f.use_aliases;
  o.cap_add = f.cap_add;
  o.cap_drop = f.cap_drop;
  o.pull = f.pull;
  for (const auto& l : f.labels) {
    auto eq = l.find('=');
    if (eq == std::string::npos || eq == 0) throw UserError("bad --label \"" + l + "\": expected KEY=VALUE");
    o.labels[l.substr(0, eq)] = l.substr(eq + 1);
  }
  // As docker compose run: a tty when this is a terminal (unless -T), stdin kept open unless
  // -i=false; a foreground run gets this terminal (or, without either, follows the output).
  o.tty = !f.detach && !f.no_tty && (f.tty || (::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO)));
  o.stdin_open = f.interactive && !f.detach;
  ProjectRuntime pr(ctx.global.state(), p, f.detach ? progress_printer(ctx) : compose::orchestrate::Progress{});
  std::string id = pr.run(o, ctx.global.parallel);
  auto& rt = pr.runtime();
  if (f.detach) {
    if (f.rm) remove_on_exit(ctx.global.state(), id);
    fmt::print("{}\n", rt.inspect(id).name);
    return 0;
  }
  show_foreground_output(rt, id);
  int rc = rt.wait(id);
  if (f.rm) {
    network::NetworkManager(ctx.global.state()).release(id);  // its address and DNS names too
    rt.remove(id, true);
  }
  return rc;
}

const CommandRegistration run_reg(16, {"run"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("run", "Run a one-off command on a service");
  auto f = std::make_shared<RunFlags>();
  cmd->add_flag("-d,--detach", f->detach, "Run the container in the background and print its name");
  cmd->add_flag("--rm", f->rm, "Remove the container when it exits");
  cmd->add_flag("--no-deps", f->no_deps, "Don't start linked services");
  cmd->add_flag("-P,--service-ports", f->service_ports, "Publish the service's ports");
  cmd->add_flag("-T,--no-TTY", f->no_tty, "Do not allocate a terminal");
  cmd->add_flag("-t,--tty", f->tty, "Allocate a terminal");
  cmd->add_flag("-i,--interactive", f->interactive, "Keep stdin open");
  cmd->add_option("--entrypoint", f->entrypoint, "Override the entrypoint");
  cmd->add_option("-e,--env", f->env, "Environment variable KEY=VALUE (or KEY, from this environment)");
  cmd->add_option("-v,--volume", f->volumes, "Bind mount or volume, short syntax");
  cmd->add_option("-p,--publish", f->publish, "Publish a port, short syntax");
  cmd->add_option("-l,--label", f->labels, "Label KEY=VALUE");
  cmd->add_option("-w,--workdir", f->workdir, "Working directory");
  cmd->add_option("-u,--user", f->user, "User (name|uid[:gid])");
  cmd->add_option("--name", f->name, "Container name");
  cmd->add_flag("--use-aliases", f->use_aliases, "Use the service's network aliases (and name) for the container too");
  cmd->add_option("--cap-add", f->cap_add, "Add a Linux capability");
  cmd->add_option("--cap-drop", f->cap_drop, "Drop a Linux capability");
  cmd->add_option("--pull", f->pull, "Pull the image before running: always, missing, never, build")
      ->check(CLI::IsMember({"always", "missing", "never", "build"}));
  cmd->add_option("args", f->args, "SERVICE [COMMAND [ARG...]]")->required();
  cmd->positionals_at_end();  // SERVICE ends the options: `sh -c ...` belongs to the command
  cmd->callback([&ctx, f] { ctx.action = [&ctx, f] { return run_oneoff(ctx, *f); }; });
});

}  // namespace
}  // namespace berth::cli
