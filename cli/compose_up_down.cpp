// berth up / down / start / stop / restart / kill.
#include <fmt/core.h>
#include <signal.h>

#include <string.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <mutex>
#include <thread>

#include "base/error.hpp"
#include "cli/compose_project.hpp"
#include "cli/compose_logs.hpp"
#include "cli/dry_run.hpp"
#include "cli/project_options.hpp"
#include "compose/graph.hpp"

namespace berth::cli {
namespace {

using namespace compose::orchestrate;

struct UpFlags {
  bool detach = false, no_deps = false, force_recreate = false, no_recreate = false, no_start = false,
       remove_orphans = false, wait = false, abort_on_exit = false, abort_on_failure = false,
       no_color = false, build = false, no_build = false;
  bool quiet_pull = false, timestamps = false, renew_anon_volumes = false, always_recreate_deps = false,
       attach_dependencies = false, yes = false, no_log_prefix = false, menu = false;
  int timeout = -1, wait_timeout = 0;
  std::vector<std::string> scale, services, attach, no_attach;
  std::string exit_code_from, pull;
  // --attach-dependencies: each container's start time before this up, to tell the dependencies
  // it started (and that may have ended already: one-shots) from those that ran before.
  std::map<std::string, std::string> started_before;
};

// COMPOSE_REMOVE_ORPHANS: --remove-orphans when the command line does not say it.
bool remove_orphans_default(bool flag) { return flag || compose_env_bool("COMPOSE_REMOVE_ORPHANS").value_or(false); }

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
  // --attach-dependencies: the output of the services' dependencies too.
  std::vector<std::string> followed = f.services;
  if (f.attach_dependencies && !f.services.empty()) {
    auto all = compose::DependencyGraph(p).select(f.services, !f.no_deps);
    followed.assign(all.begin(), all.end());
  }
  std::vector<engine::ContainerInfo> containers;
  for (auto& c : pr.containers(true)) {
    if (!followed.empty() && !in(followed, c.labels.at("com.docker.compose.service"))) continue;
    auto before = f.started_before.find(c.id);
    bool started_now = f.attach_dependencies && (before == f.started_before.end() || before->second != c.started_at);
    if (c.running() || (started_now && !c.started_at.empty())) containers.push_back(c);
  }
  auto shown = [&](const engine::ContainerInfo& c) {
    const std::string& svc = c.labels.at("com.docker.compose.service");
    if (!f.attach.empty()) return in(f.attach, svc);
    const compose::Service* s = p.find_service(svc);
    return (!s || s->attach) && !in(f.no_attach, svc);
  };
  LogPrinter printer(containers, !f.no_color && !ctx.global.no_ansi);
  std::mutex raw_mutex;  // --no-log-prefix: whole lines, one writer at a time
  const engine::LogsOptions follow_options{.follow = true, .timestamps = f.timestamps};
  auto show = [&](const engine::ContainerInfo& c) {
    if (!f.no_log_prefix) return printer.follow(pr.runtime(), c, follow_options);
    pr.runtime().logs(c.id, follow_options, [&](const engine::LogEntry& e) {
      std::lock_guard lk(raw_mutex);
      fmt::print("{}{}{}", f.timestamps ? e.time + " " : "", e.line, e.line.empty() || e.line.back() != '\n' ? "\n" : "");
      std::fflush(stdout);
    });
  };
  std::vector<std::thread> followers;
  std::atomic<int> running{static_cast<int>(containers.size())};
  for (const auto& c : containers)
    followers.emplace_back([&, c] {
      int rc = 0;
      try {  // a container removed or dead meanwhile ends its follower, never berth
        if (shown(c)) show(c);
        rc = pr.runtime().wait(c.id);
        if (shown(c) && !f.no_log_prefix) printer.line(c, fmt::format("exited with code {}\n", rc));
        if (shown(c) && f.no_log_prefix)
          fmt::print("{}-{} exited with code {}\n", c.labels.at("com.docker.compose.service"),
                     c.labels.at("com.docker.compose.container-number"), rc);
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
  o.remove_orphans = remove_orphans_default(f.remove_orphans);
  o.ignore_orphans = compose_env_bool("COMPOSE_IGNORE_ORPHANS").value_or(false);
  o.parallel = ctx.global.parallel;
  o.timeout = optional_seconds(f.timeout);
  o.pull = f.pull;
  o.quiet_pull = f.quiet_pull;
  o.renew_anon_volumes = f.renew_anon_volumes;
  o.always_recreate_deps = f.always_recreate_deps;
  o.wait = f.wait;
  o.wait_timeout = std::chrono::seconds(f.wait_timeout);
  o.scale = parse_scale(f.scale);
  if (f.build && f.no_build) throw UserError("--build and --no-build are incompatible");
  o.build = f.build;
  o.no_build = f.no_build;
  o.build_flags.quiet = ctx.global.progress == "quiet";
  o.build_flags.tty = ctx.global.progress == "tty" || (ctx.global.progress == "auto" && ::isatty(STDERR_FILENO));
  if (ctx.global.dry_run) {
    dry_run::up(ctx, p, o);
    return 0;
  }
  ProjectRuntime pr(ctx.global.state(), p, progress_printer(ctx));
  UpFlags followed = f;
  if (f.attach_dependencies)
    for (const auto& c : pr.containers(true)) followed.started_before[c.id] = c.started_at;
  bool changed = pr.up(o);
  pr.set_progress({});  // the live display ends before any container output
  if (!changed) fmt::print(stderr, "Project {} is up to date: nothing to do\n", p.name);
  if (f.detach || f.no_start) return 0;
  return attach_foreground(ctx, p, pr, followed);
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
  cmd->add_option("--pull", f->pull, "Pull images before running: always, missing, never, build (default: each service's pull_policy)")
      ->check(CLI::IsMember({"always", "missing", "never", "build"}));
  cmd->add_flag("--quiet-pull", f->quiet_pull, "Pull without printing progress");
  cmd->add_flag("--timestamps", f->timestamps, "Show timestamps in the output");
  cmd->add_flag("-V,--renew-anon-volumes", f->renew_anon_volumes,
                "Recreate anonymous volumes instead of keeping the previous containers' data");
  cmd->add_flag("--always-recreate-deps", f->always_recreate_deps, "Recreate dependent containers too");
  cmd->add_flag("--attach-dependencies", f->attach_dependencies, "Show the output of the dependencies too");
  cmd->add_flag("-y,--yes", f->yes, "Assume yes to prompts (berth never prompts)");
  cmd->add_flag("--no-log-prefix", f->no_log_prefix, "Don't prefix the output lines with the service's name");
  cmd->add_flag("--menu", f->menu, "Interactive shortcuts (berth has none: accepted, as --menu=false)");
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
      opts->remove_orphans = remove_orphans_default(opts->remove_orphans);
      if (ctx.global.dry_run) {
        dry_run::down(ctx, p, *opts);
        return 0;
      }
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

// A signal as docker reads one: a number, or a name with or without SIG, in any case.
int parse_signal(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    int n = text.size() < 4 ? std::atoi(text.c_str()) : 0;
    if (n > 0 && n < NSIG) return n;
  } else {
    std::string name = text;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
    if (name.rfind("SIG", 0) == 0) name.erase(0, 3);
    for (int n = 1; n < SIGRTMIN; ++n)
      if (const char* abbrev = ::sigabbrev_np(n); abbrev && name == abbrev) return n;
  }
  throw UserError("invalid signal \"" + text + "\"");
}

const CommandRegistration lifecycle_reg(12, {"start", "stop", "restart", "kill"}, [](CLI::App& app, Context& ctx) {
  auto services = std::make_shared<std::vector<std::string>>();
  auto timeout = std::make_shared<int>(-1);
  auto signal = std::make_shared<std::string>("SIGKILL");
  auto* start = app.add_subcommand("start", "Start existing containers");
  auto wait = std::make_shared<bool>(false);
  auto wait_timeout = std::make_shared<int>(0);
  start->add_option("services", *services, "Services");
  start->add_flag("--wait", *wait, "Wait for services to be running|healthy");
  start->add_option("--wait-timeout", *wait_timeout, "Maximum seconds to wait (implies --wait)");
  start->callback([&ctx, services, wait, wait_timeout] {
    ctx.action = [&ctx, services, wait, wait_timeout] {
      compose::Project p = load_project(ctx);
      if (ctx.global.dry_run) {
        dry_run::containers(ctx, p, *services, "start");
        return 0;
      }
      ProjectRuntime pr(ctx.global.state(), p, progress_printer(ctx));
      pr.start(*services);
      if (*wait || *wait_timeout > 0) pr.wait_ready(*services, std::chrono::seconds(std::max(*wait_timeout, 0)));
      return 0;
    };
  });
  auto* stop = app.add_subcommand("stop", "Stop running containers without removing them");
  stop->add_option("services", *services, "Services");
  stop->add_option("-t,--timeout", *timeout, "Shutdown timeout in seconds");
  stop->callback([&ctx, services, timeout] {
    ctx.action = [&ctx, services, timeout] {
      compose::Project p = load_project_or_labels(ctx);
      if (ctx.global.dry_run) {
        dry_run::containers(ctx, p, *services, "stop");
        return 0;
      }
      ProjectRuntime(ctx.global.state(), p, progress_printer(ctx)).stop(*services, optional_seconds(*timeout));
      return 0;
    };
  });
  auto* restart = app.add_subcommand("restart", "Restart service containers");
  auto no_deps = std::make_shared<bool>(false);
  restart->add_option("services", *services, "Services");
  restart->add_option("-t,--timeout", *timeout, "Shutdown timeout in seconds");
  restart->add_flag("--no-deps", *no_deps, "Don't restart the services that depend on these (depends_on restart: true)");
  restart->callback([&ctx, services, timeout, no_deps] {
    ctx.action = [&ctx, services, timeout, no_deps] {
      compose::Project p = load_project(ctx);
      std::vector<std::string> names = *no_deps ? *services : with_restart_dependents(p, *services);
      if (ctx.global.dry_run) {
        dry_run::containers(ctx, p, names, "restart");
        return 0;
      }
      ProjectRuntime pr(ctx.global.state(), p, progress_printer(ctx));
      pr.stop(names, optional_seconds(*timeout));
      pr.start(names);  // dependencies first, each once its conditions hold
      return 0;
    };
  });
  auto* kill = app.add_subcommand("kill", "Force stop service containers");
  auto kill_orphans = std::make_shared<bool>(false);
  kill->add_option("services", *services, "Services");
  kill->add_option("-s,--signal", *signal, "Signal to send: a name (SIGQUIT, QUIT) or a number");
  kill->add_flag("--remove-orphans", *kill_orphans, "Remove containers of services not in the project file");
  kill->callback([&ctx, services, signal, kill_orphans] {
    ctx.action = [&ctx, services, signal, kill_orphans] {
      int sig = parse_signal(*signal);
      compose::Project p = load_project_or_labels(ctx);
      if (ctx.global.dry_run) {
        dry_run::containers(ctx, p, *services, "kill");
        return 0;
      }
      ProjectRuntime pr(ctx.global.state(), p);
      pr.kill(*services, sig);
      if (remove_orphans_default(*kill_orphans) && !p.services.empty()) {
        std::vector<std::string> orphans;
        for (const auto& c : pr.containers(true))
          if (!p.services.count(c.labels.at("com.docker.compose.service")) &&
              !p.disabled_services.count(c.labels.at("com.docker.compose.service")))
            orphans.push_back(c.labels.at("com.docker.compose.service"));
        if (!orphans.empty()) pr.remove(orphans, true, false, std::chrono::seconds(0));
      }
      return 0;
    };
  });
});

}  // namespace
}  // namespace berth::cli
