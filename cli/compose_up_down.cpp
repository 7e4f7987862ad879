// berth up / down / start / stop / restart / kill.
#include <fmt/core.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "base/error.hpp"
#include "cli/compose_project.hpp"
#include "cli/compose_logs.hpp"

namespace berth::cli {
namespace {

using namespace compose::orchestrate;

struct UpFlags {
  bool detach = false, no_deps = false, force_recreate = false, no_recreate = false, no_start = false,
       remove_orphans = false, wait = false, abort_on_exit = false, abort_on_failure = false,
       no_color = false, build = false, no_build = false;
  int timeout = -1, wait_timeout = 0;
  std::vector<std::string> scale, services, attach, no_attach;
  std::string exit_code_from;
};

// Foreground up, as compose: the output of the services asked for (all when none is named; not
// those with `attach: false` or --no-attach; --attach chooses them outright), prefixed per
// service, until the asked-for containers have all exited or Ctrl-C, which stops those (and only
// those); a second Ctrl-C kills what still runs.
int attach_foreground(const Context& ctx, const compose::Project& p, ProjectRuntime& pr, const UpFlags& f) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::atomic<bool> done{false};
  std::atomic<int> exit_code{0};
  auto in = [](const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); };
  std::vector<engine::ContainerInfo> containers;
  for (auto& c : pr.containers(false))
    if (f.services.empty() || in(f.services, c.labels.at("com.docker.compose.service"))) containers.push_back(c);
  auto shown = [&](const engine::ContainerInfo& c) {
    const std::string& svc = c.labels.at("com.docker.compose.service");
    if (!f.attach.empty()) return in(f.attach, svc);
    const compose::Service* s = p.find_service(svc);
    return (!s || s->attach) && !in(f.no_attach, svc);
  };
  LogPrinter printer(containers, !f.no_color);
  std::vector<std::thread> followers;
  std::atomic<int> running{static_cast<int>(containers.size())};
  for (const auto& c : containers)
    followers.emplace_back([&, c] {
      int rc = 0;
      try {  // a container removed or dead meanwhile ends its follower, never berth
        if (shown(c)) printer.follow(pr.runtime(), c, {.follow = true});
        rc = pr.runtime().wait(c.id);
        if (shown(c)) printer.line(c, fmt::format("exited with code {}\n", rc));
      } catch (const std::exception&) {
      }
      bool from = !f.exit_code_from.empty() && c.labels.at("com.docker.compose.service") == f.exit_code_from;
      if (from || (f.exit_code_from.empty() && (f.abort_on_exit || (f.abort_on_failure && rc != 0)) && !done))
        exit_code = rc;
      // Once: a later signal would read as the second Ctrl-C.
      if ((--running == 0 || f.abort_on_exit || (f.abort_on_failure && rc != 0)) && !done.exchange(true))
        ::kill(::getpid(), SIGTERM);
    });
  if (containers.empty() && !done.exchange(true)) ::kill(::getpid(), SIGTERM);  // nothing to follow
  int sig = 0;
  sigwait(&set, &sig);
  if (!done || f.abort_on_exit || f.abort_on_failure) {
    fmt::print(stderr, "Gracefully stopping... (press Ctrl+C again to force)\n");
    // A second signal kills what is still running; the thread ends with the stop.
    std::atomic<bool> stopped{false};
    std::thread killer([&] {
      const struct timespec tick = {0, 100 * 1000 * 1000};
      while (!stopped) {
        if (sigtimedwait(&set, nullptr, &tick) < 0) continue;
        try {
          pr.kill(f.services, SIGKILL);
        } catch (const std::exception&) {  // it exited meanwhile: nothing left to kill
        }
      }
    });
    pr.set_progress(progress_printer(ctx));
    try {
      pr.stop(f.services, optional_seconds(f.timeout));
    } catch (...) {
      stopped = true;
      killer.join();
      throw;
    }
    stopped = true;
    killer.join();
  }
  done = true;
  for (auto& t : followers) t.join();
  return exit_code;
}

int run_up(const Context& ctx, const UpFlags& f) {
  compose::Project p = load_project(ctx, f.services);
  UpOptions o;
  o.services = f.services;
  o.no_deps = f.no_deps;
  if (f.force_recreate && f.no_recreate) throw UserError("--force-recreate and --no-recreate are incompatible");
  o.recreate = f.force_recreate ? RecreatePolicy::Force : f.no_recreate ? RecreatePolicy::Never : RecreatePolicy::Diverged;
  o.no_start = f.no_start;
  o.remove_orphans = f.remove_orphans;
  o.parallel = ctx.global.parallel;
  o.timeout = optional_seconds(f.timeout);
  o.wait = f.wait;
  o.wait_timeout = std::chrono::seconds(f.wait_timeout);
  o.scale = parse_scale(f.scale);
  if (f.build && f.no_build) throw UserError("--build and --no-build are incompatible");
  o.build = f.build;
  o.no_build = f.no_build;
  o.build_flags.quiet = ctx.global.progress == "quiet";
  o.build_flags.tty = ctx.global.progress == "tty" || (ctx.global.progress == "auto" && ::isatty(STDERR_FILENO));
  ProjectRuntime pr(ctx.global.state(), p, progress_printer(ctx));
  bool changed = pr.up(o);
  pr.set_progress({});  // the live display ends before any container output
  if (!changed) fmt::print(stderr, "Project {} is up to date: nothing to do\n", p.name);
  if (f.detach || f.no_start) return 0;
  return attach_foreground(ctx, p, pr, f);
}

const CommandRegistration up_reg(10, {"up"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("up", "Create and start containers");
  auto f = std::make_shared<UpFlags>();
  cmd->add_flag("-d,--detach", f->detach, "Run containers in the background");
  cmd->add_flag("--no-deps", f->no_deps, "Don't start linked services");
  cmd->add_flag("--force-recreate", f->force_recreate, "Recreate containers even if nothing changed");
  cmd->add_flag("--no-recreate", f->no_recreate, "Don't recreate existing containers");
  cmd->add_flag("--no-start", f->no_start, "Don't start the services after creating them");
  cmd->add_flag("--build", f->build, "Build images before starting containers");
  cmd->add_flag("--no-build", f->no_build, "Don't build an image, even if it's missing");
  cmd->add_flag("--remove-orphans", f->remove_orphans, "Remove containers of services not in the project file");
  cmd->add_option("--scale", f->scale, "SERVICE=NUM replicas (overrides scale in the file)");
  cmd->add_option("-t,--timeout", f->timeout, "Shutdown timeout in seconds");
  cmd->add_flag("--wait", f->wait, "Wait for services to be running|healthy (implies -d)");
  cmd->add_option("--wait-timeout", f->wait_timeout, "Maximum seconds to wait");
  cmd->add_flag("--abort-on-container-exit", f->abort_on_exit, "Stop all containers if any container stops");
  cmd->add_flag("--abort-on-container-failure", f->abort_on_failure,
                "Stop all containers if any container exits with a failure");
  cmd->add_option("--exit-code-from", f->exit_code_from, "Return the exit code of this service's container (implies --abort-on-container-exit)");
  cmd->add_option("--attach", f->attach, "Show the output of these services only");
  cmd->add_option("--no-attach", f->no_attach, "Do not show the output of these services");
  cmd->add_flag("--no-color", f->no_color, "Monochrome output");
  cmd->add_option("services", f->services, "Services to start (and their dependencies)");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      if (f->wait) f->detach = true;
      if (!f->exit_code_from.empty()) f->abort_on_exit = true;
      if (f->abort_on_exit && f->abort_on_failure)
        throw UserError("--abort-on-container-exit and --abort-on-container-failure are incompatible");
      return run_up(ctx, *f);
    };
  });
});

const CommandRegistration down_reg(11, {"down"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("down", "Stop and remove containers and networks");
  auto opts = std::make_shared<DownOptions>();
  auto timeout = std::make_shared<int>(-1);
  cmd->add_flag("-v,--volumes", opts->volumes, "Remove named volumes and anonymous volumes");
  cmd->add_flag("--remove-orphans", opts->remove_orphans, "Remove containers of services not in the project file");
  cmd->add_option("-t,--timeout", *timeout, "Shutdown timeout in seconds");
  cmd->add_option("--rmi", opts->rmi, "Remove images used by services: all, or local (those built without an image: name)")
      ->check(CLI::IsMember({"local", "all"}));
  cmd->callback([&ctx, opts, timeout] {
    ctx.action = [&ctx, opts, timeout] {
      compose::Project p = load_project_or_labels(ctx);
      opts->timeout = optional_seconds(*timeout);
      ProjectRuntime(ctx.global.state(), p, progress_printer(ctx)).down(*opts);
      return 0;
    };
  });
});

// The services and, as compose restarts them with it, every service that depends on one of them
// with `restart: true` (transitively). Empty stays empty: every service.
std::vector<std::string> with_restart_dependents(const compose::Project& p, std::vector<std::string> names) {
  if (names.empty()) return names;
  for (std::size_t i = 0; i < names.size(); ++i)
    for (const auto& [name, s] : p.services)
      for (const auto& [dep, d] : s.depends_on)
        if (d.restart && dep == names[i] && std::find(names.begin(), names.end(), name) == names.end())
          names.push_back(name);
  return names;
}

const CommandRegistration lifecycle_reg(12, {"start", "stop", "restart", "kill"}, [](CLI::App& app, Context& ctx) {
  auto services = std::make_shared<std::vector<std::string>>();
  auto timeout = std::make_shared<int>(-1);
  auto signal = std::make_shared<std::string>("SIGKILL");
  auto* start = app.add_subcommand("start", "Start existing containers");
  start->add_option("services", *services, "Services");
  start->callback([&ctx, services] {
    ctx.action = [&ctx, services] {
      compose::Project p = load_project(ctx);
      ProjectRuntime(ctx.global.state(), p, progress_printer(ctx)).start(*services);
      return 0;
    };
  });
  auto* stop = app.add_subcommand("stop", "Stop running containers without removing them");
  stop->add_option("services", *services, "Services");
  stop->add_option("-t,--timeout", *timeout, "Shutdown timeout in seconds");
  stop->callback([&ctx, services, timeout] {
    ctx.action = [&ctx, services, timeout] {
      compose::Project p = load_project_or_labels(ctx);
      ProjectRuntime(ctx.global.state(), p, progress_printer(ctx)).stop(*services, optional_seconds(*timeout));
      return 0;
    };
  });
  auto* restart = app.add_subcommand("restart", "Restart service containers");
  restart->add_option("services", *services, "Services");
  restart->add_option("-t,--timeout", *timeout, "Shutdown timeout in seconds");
  restart->callback([&ctx, services, timeout] {
    ctx.action = [&ctx, services, timeout] {
      compose::Project p = load_project(ctx);
      ProjectRuntime pr(ctx.global.state(), p, progress_printer(ctx));
      std::vector<std::string> names = with_restart_dependents(p, *services);
      pr.stop(names, optional_seconds(*timeout));
      pr.start(names);  // dependencies first, each once its conditions hold
      return 0;
    };
  });
  auto* kill = app.add_subcommand("kill", "Force stop service containers");
  kill->add_option("services", *services, "Services");
  kill->add_option("-s,--signal", *signal, "Signal to send (name or number)");
  kill->callback([&ctx, services, signal] {
    ctx.action = [&ctx, services, signal] {
      static const std::map<std::string, int> names = {{"SIGKILL", 9}, {"KILL", 9}, {"SIGTERM", 15}, {"TERM", 15},
                                                       {"SIGINT", 2},  {"INT", 2},  {"SIGHUP", 1},   {"HUP", 1},
                                                       {"SIGUSR1", 10}, {"USR1", 10}, {"SIGUSR2", 12}, {"USR2", 12}};
      int sig = names.count(*signal) ? names.at(*signal) : std::atoi(signal->c_str());
      if (sig <= 0) throw UserError("invalid signal " + *signal);
      compose::Project p = load_project_or_labels(ctx);
      ProjectRuntime(ctx.global.state(), p).kill(*services, sig);
      return 0;
    };
  });
});

}  // namespace
}  // namespace berth::cli
