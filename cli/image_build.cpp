// `berth image build`: a Dockerfile built with the embedded runtime (builder/image_build.hpp).
#include <fmt/core.h>
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <thread>

#include "base/error.hpp"
#include "builder/image_build.hpp"
#include "builder/ssh_agent_spec.hpp"
#include "cli/command.hpp"
#include "compose/orchestrate/build_network.hpp"

namespace berth::cli {
namespace {

struct BuildFlags {
  std::vector<std::string> tags, build_args, secrets, ssh, add_hosts;
  std::string file, target, network = "default", progress = "auto", context, shm_size;
  bool no_cache = false, pull = false, quiet = false;
};

// "id=x,src=path" (also "source=", and "type=file" accepted).
void parse_secrets(const std::vector<std::string>& in, std::map<std::string, std::filesystem::path>& out) {
  for (const auto& s : in) {
    std::string id, src;
    std::size_t start = 0;
    while (start <= s.size()) {
      auto comma = s.find(',', start);
      std::string field = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      auto eq = field.find('=');
      std::string k = field.substr(0, eq), v = eq == std::string::npos ? "" : field.substr(eq + 1);
      if (k == "id") id = v;
      else if (k == "src" || k == "source") src = v;
      else if (k != "type") throw UserError("invalid --secret \"" + s + "\": unknown field \"" + k + "\"");
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (id.empty()) throw UserError("invalid --secret \"" + s + "\": id= is required");
    if (src.empty()) src = id;
    if (::access(src.c_str(), R_OK) != 0) throw UserError("--secret " + id + ": cannot read " + src);
    out[id] = std::filesystem::absolute(src);
  }
}

const CommandRegistration reg(312, {"image"}, [](CLI::App& app, Context& ctx) {
  CLI::App* image = command_group(app, "image", "Manage images");
  auto f = std::make_shared<BuildFlags>();
  auto* cmd = image->add_subcommand("build", "Build an image from a Dockerfile");
  cmd->add_option("-t,--tag", f->tags, "Name the image NAME[:TAG] (repeatable)")->allow_extra_args(false);
  cmd->add_option("-f,--file", f->file, "The Dockerfile (default: DIR/Dockerfile)");
  cmd->add_option("--build-arg", f->build_args, "A build argument K=V (repeatable)")->allow_extra_args(false);
  cmd->add_option("--target", f->target, "Build this stage (and what it needs) only");
  cmd->add_flag("--no-cache", f->no_cache, "Run every step, ignoring the build cache");
  cmd->add_flag("--pull", f->pull, "Always pull the FROM images");
  cmd->add_option("--network", f->network, "Network of RUN steps: default (a bridge with NAT), none, host")
      ->check(CLI::IsMember({"default", "none", "host"}));
  cmd->add_option("--add-host", f->add_hosts, "A line in /etc/hosts of RUN steps: HOST:IP (IP may be host-gateway)")
      ->allow_extra_args(false);
  cmd->add_option("--progress", f->progress, "auto, tty, plain")->check(CLI::IsMember({"auto", "tty", "plain", "quiet"}));
  cmd->add_option("--secret", f->secrets, "A secret for RUN --mount=type=secret: id=ID,src=PATH")->allow_extra_args(false);
  cmd->add_option("--ssh", f->ssh, "An ssh agent for RUN --mount=type=ssh: default or ID[=SOCKET]")->allow_extra_args(false);
  cmd->add_option("--shm-size", f->shm_size, "Size of /dev/shm in RUN steps (default 64m)");
  cmd->add_flag("-q,--quiet", f->quiet, "Print only the image id");
  cmd->add_option("context", f->context, "The build context directory")->required();
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      builder::BuildOptions o;
      o.context = std::filesystem::absolute(f->context);
      if (!f->file.empty()) {
        o.dockerfile = f->file == "-" ? std::filesystem::path("/dev/stdin") : std::filesystem::absolute(f->file);
        o.dockerfile_name = std::filesystem::path(f->file).filename().string();
      }
      o.tags = f->tags;
      parse_build_args(f->build_args, o.build_args);
      parse_secrets(f->secrets, o.secrets);
      for (const auto& s : f->ssh) o.ssh.insert(builder::ssh_agent_spec(s));
      o.target = f->target;
      o.no_cache = f->no_cache;
      o.pull = f->pull;
      o.network = f->network;
      if (!f->shm_size.empty()) o.shm_size = parse_bytes("--shm-size", f->shm_size);
      std::optional<compose::orchestrate::BuildNetwork> network;
      o.extra_hosts = f->add_hosts;
      with_context("--add-host", [&] { network.emplace(ctx.global.state(), o.extra_hosts); });
      o.run_network = &*network;
      if (f->progress == "auto") f->progress = ctx.global.progress;  // `berth --progress X image build`
      auto mode = builder::BuildProgress::Mode::Plain;
      if (f->quiet || f->progress == "quiet") mode = builder::BuildProgress::Mode::Quiet;
      else if (f->progress == "tty" || (f->progress == "auto" && ::isatty(STDERR_FILENO)))
        mode = builder::BuildProgress::Mode::Tty;
      builder::BuildProgress progress(stderr, mode);
      // Ctrl-C or SIGTERM cancels: the running steps' containers are killed and everything the
      // build made on the way is removed as the steps unwind. Blocked here, before the stage
      // threads start, so that only the watcher takes them.
      builder::BuildCancel cancel;
      o.cancel = &cancel;
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGINT);
      sigaddset(&set, SIGTERM);
      sigaddset(&set, SIGUSR1);
      pthread_sigmask(SIG_BLOCK, &set, nullptr);
      std::thread watcher([&] {
        int sig = 0;
        sigwait(&set, &sig);
        if (sig != SIGUSR1) {
          progress.print("cancelling the build");
          cancel.cancel();
        }
      });
      auto stop_watcher = [&] {
        pthread_kill(watcher.native_handle(), SIGUSR1);
        watcher.join();
      };
      builder::BuildResult r;
      try {
        r = builder::build_image(ctx.global.state(), {}, o, progress);
      } catch (...) {
        stop_watcher();
        throw;
      }
      stop_watcher();
      if (f->quiet) {
        fmt::print("{}\n", r.image_id);
      } else {
        progress.print("writing image " + r.image_id + " done");
        for (const auto& t : o.tags) progress.print("naming to " + t + " done");
      }
      return 0;
    };
  });
});

}  // namespace
}  // namespace berth::cli
