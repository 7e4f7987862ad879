// berth watch [SERVICE...]: compose's develop.watch. The project is brought up (unless --no-up),
// then the rules' paths are watched with inotify; changes settle for half a second (an editor's
// save is several events) and then, per rule that a changed path falls under and that neither
// its `ignore` patterns nor the defaults (.git, editor swap files) exclude, with its `include`
// patterns when it has some:
//   sync          the changed files copied into (deleted ones removed from) every running
//                 container of the service at `target`, confined to the container's root
//   sync+restart  the same, then the containers restarted
//   sync+exec     the same, then `exec.command` run in each
//   restart       the containers restarted
//   rebuild       the image built again and the service's containers recreated from it
// `initial_sync` syncs the whole path when the watch starts. Ctrl-C ends it (exit 0).
#include <fmt/core.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "builder/dockerignore.hpp"
#include "cli/compose_project.hpp"
#include "cli/watch_files.hpp"
#include "compose/normalize/values.hpp"
#include "compose/orchestrate/labels.hpp"
#include "engine/runtime/container_fs.hpp"

namespace berth::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using compose::orchestrate::ProjectRuntime;

// What compose never syncs: version control and editors' temporary files.
const std::vector<std::string> kDefaultIgnore = {".git", "**/.git", "**/*~", "**/.*.swp", "**/.*.swx", "**/4913", "**/.#*"};

struct Rule {
  std::string service;
  std::string action;
  fs::path path;  // on the host, absolute
  std::string target;
  builder::DockerIgnore ignore, include;
  bool has_include = false;
  bool initial_sync = false;
  engine::ExecOptions exec;

  bool syncs() const { return action.rfind("sync", 0) == 0; }
  // `file` relative to the rule's path ("." for the path itself), or nullopt when it is not the
  // rule's: outside the path, ignored, or not included.
  std::optional<fs::path> relative(const fs::path& file) const {
    fs::path rel = file.lexically_relative(path);
    if (rel.empty() || *rel.begin() == "..") return std::nullopt;
    if (rel != ".") {
      std::string r = rel.generic_string();
      if (ignore.excluded(r)) return std::nullopt;
      if (has_include && !include.excluded(r)) return std::nullopt;
    }
    return rel;
  }
};

std::vector<std::string> string_or_list(const json& j) {
  if (j.is_string()) return {j.get<std::string>()};
  return j.get<std::vector<std::string>>();
}

std::vector<Rule> rules_of(const compose::Project& p, const std::vector<std::string>& services) {
  std::vector<Rule> out;
  for (const auto& [name, s] : p.services) {
    if (!services.empty() && std::find(services.begin(), services.end(), name) == services.end()) continue;
    auto it = s.extensions.find("develop");
    if (it == s.extensions.end()) continue;
    json d = json::parse(it->second);
    if (!d.is_object() || !d.contains("watch")) continue;
    int index = 0;
    for (const auto& w : d["watch"]) {
      Rule r;
      r.service = name;
      r.action = w.value("action", "");
      r.path = (fs::path(p.working_dir) / w.value("path", "")).lexically_normal();
      if (r.path.filename().empty()) r.path = r.path.parent_path();  // "./src/"
      r.target = w.value("target", "");
      r.initial_sync = w.value("initial_sync", false);
      std::vector<std::string> ignore = kDefaultIgnore;
      if (w.contains("ignore"))
        for (auto& i : string_or_list(w["ignore"])) ignore.push_back(i);
      r.ignore = builder::DockerIgnore::from_patterns(ignore);
      if (w.contains("include")) r.include = builder::DockerIgnore::from_patterns(string_or_list(w["include"])), r.has_include = true;
      const std::string where = "services." + name + ".develop.watch[" + std::to_string(index++) + "]";
      if (r.syncs() && r.target.empty()) throw UserError(where + ": action " + r.action + " needs a target");
      if (r.action == "rebuild" && !s.build) throw UserError(where + ": action rebuild needs the service to have build:");
      if (r.action == "sync+exec") {
        if (!w.contains("exec") || !w["exec"].contains("command"))
          throw UserError(where + ": action sync+exec needs exec.command");
        const json& e = w["exec"];
        r.exec.argv = e["command"].is_string() ? compose::norm::shell_split(e["command"].get<std::string>())
                                                : e["command"].get<std::vector<std::string>>();
        r.exec.user = e.value("user", "");
        r.exec.working_dir = e.value("working_dir", "");
        r.exec.privileged = e.value("privileged", false);
        if (e.contains("environment")) {
          if (e["environment"].is_object())
            for (auto& [k, v] : e["environment"].items()) r.exec.env.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
          else
            for (auto& kv : e["environment"]) r.exec.env.push_back(kv.get<std::string>());
        }
      }
      out.push_back(std::move(r));
    }
  }
  if (out.empty())
    throw UserError("none of the selected services is configured for watch, consider setting a 'develop' section");
  return out;
}

std::string container_path(const Rule& r, const fs::path& rel) {
  return rel == "." ? r.target : (fs::path(r.target) / rel).lexically_normal().string();
}

// Every path below the rule's own that it does not exclude (directories before what they hold).
std::vector<fs::path> walk(const Rule& r) {
  std::vector<fs::path> out{r.path};
  if (!fs::is_directory(r.path)) return out;
  for (auto it = fs::recursive_directory_iterator(r.path); it != fs::recursive_directory_iterator(); ++it) {
    std::string rel = it->path().lexically_relative(r.path).generic_string();
    if (it->is_directory() && !it->is_symlink() && r.ignore.can_skip_dir(rel)) {
      it.disable_recursion_pending();
      continue;
    }
    if (r.relative(it->path())) out.push_back(it->path());
  }
  return out;
}

struct WatchFlags {
  std::vector<std::string> services;
  bool no_up = false, quiet = false, prune = false;
};

class Session {
 public:
  Session(const Context& ctx, const compose::Project& p, std::vector<Rule> rules)
      : ctx_(ctx), p_(p), rules_(std::move(rules)), pr_(ctx.global.state(), p) {}

  void sync(const Rule& r, const std::vector<fs::path>& changed) {
    for (const auto& c : running(r.service)) {
      UniqueFd root = engine::open_container_root(c);
      for (const auto& host : changed)
        if (auto rel = r.relative(host)) {
          try {
            sync_path(root.get(), host, container_path(r, *rel), "container " + c.name);
          } catch (const std::exception& e) {  // one file that cannot be copied stops no other
            fmt::print(stderr, "Syncing {} to {}: {}\n", host.string(), c.name, describe(e));
          }
        }
    }
  }

  void apply(const Rule& r, const std::vector<fs::path>& changed) {
    if (r.syncs()) {
      fmt::print(stderr, "Syncing service \"{}\" after {} changes were detected\n", r.service, changed.size());
      sync(r, changed);
    }
    if (r.action == "restart" || r.action == "sync+restart") {
      fmt::print(stderr, "Restarting service \"{}\" after changes were detected\n", r.service);
      for (const auto& c : running(r.service)) pr_.runtime().restart(c.id);
    }
    if (r.action == "sync+exec")
      for (const auto& c : running(r.service)) {
        std::fflush(stdout);
        int rc = pr_.runtime().exec(c.id, r.exec);
        if (rc != 0) fmt::print(stderr, "Exec in {} exited with code {}\n", c.name, rc);
      }
    if (r.action == "rebuild") {
      fmt::print(stderr, "Rebuilding service \"{}\" after changes were detected\n", r.service);
      compose::orchestrate::BuildFlags bf;
      bf.quiet = true;
      pr_.build({r.service}, bf);
      up({r.service}, true);
      fmt::print(stderr, "service \"{}\" successfully built\n", r.service);
    }
    std::fflush(stderr);
  }

  void up(const std::vector<std::string>& services, bool no_deps) {
    compose::orchestrate::UpOptions o;
    o.services = services;
    o.no_deps = no_deps;
    o.parallel = ctx_.global.parallel;
    ProjectRuntime(ctx_.global.state(), p_, progress_printer(ctx_)).up(o);
  }

  int run(const WatchFlags& f) {
    if (!f.no_up) up(f.services, false);
    Watcher w;
    for (const auto& r : rules_) w.add(r.path);
    fmt::print(stderr, "Watch enabled\n");
    std::fflush(stderr);
    for (const auto& r : rules_)
      if (r.initial_sync && r.syncs()) sync(r, walk(r));

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    UniqueFd sig(::signalfd(-1, &set, SFD_CLOEXEC));
    if (!sig) throw_errno("signalfd");
    std::set<fs::path> pending;
    using clock = std::chrono::steady_clock;
    clock::time_point last;
    for (;;) {
      int timeout = -1;
      if (!pending.empty())
        timeout = std::max<int>(0, 500 - static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - last).count()));
      pollfd fds[2] = {{w.fd(), POLLIN, 0}, {sig.get(), POLLIN, 0}};
      int n = ::poll(fds, 2, timeout);
      if (n < 0 && errno != EINTR) throw_errno("poll", "watch");
      if (n > 0 && fds[1].revents) return 0;
      if (n > 0 && fds[0].revents) {
        w.read(pending);
        last = clock::now();
        continue;
      }
      if (n == 0 && !pending.empty()) {
        std::vector<fs::path> batch(pending.begin(), pending.end());
        pending.clear();
        for (const auto& r : rules_) {
          std::vector<fs::path> mine;
          for (const auto& b : batch)
            if (r.relative(b)) mine.push_back(b);
          if (mine.empty()) continue;
          try {
            apply(r, mine);
          } catch (const std::exception& e) {  // a failed step is reported; the watch goes on
            fmt::print(stderr, "berth: watch: service \"{}\": {}\n", r.service, describe(e));
          }
        }
      }
    }
  }

 private:
  std::vector<engine::ContainerInfo> running(const std::string& service) {
    std::vector<engine::ContainerInfo> out;
    for (auto& c : pr_.containers(false))
      if (c.labels.at(compose::orchestrate::kServiceLabel) == service) out.push_back(std::move(c));
    return out;
  }

  const Context& ctx_;
  const compose::Project& p_;
  std::vector<Rule> rules_;
  ProjectRuntime pr_;
};

const CommandRegistration reg(32, {"watch"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("watch", "Watch the build context of services and rebuild/refresh containers when files are updated");
  auto f = std::make_shared<WatchFlags>();
  cmd->add_flag("--no-up", f->no_up, "Do not build & start services before watching");
  cmd->add_flag("--quiet", f->quiet, "Hide build output");
  cmd->add_flag("--prune", f->prune, "Prune dangling images on rebuild (berth keeps them as build cache)");
  cmd->add_option("services", f->services, "Services");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      compose::Project p = load_project(ctx, f->services);
      for (const auto& s : f->services)
        if (!p.services.count(s)) throw UserError("no such service: " + s);
      Session session(ctx, p, rules_of(p, f->services));
      return session.run(*f);
    };
  });
});

}  // namespace
}  // namespace berth::cli
