// berth test [OPTIONS] [SERVICE...] -- CMD [ARGS...]: an integration-test harness. The project
// comes up under a fresh name with its published ports moved to free ephemeral ones, CMD runs on
// the host once every service is ready, and the project goes down with its volumes whatever
// happens (a reaper, cli/test_reaper.hpp, covers the death of this process). Exit: CMD's code,
// or kNotReady when the stack never became ready (CMD is then not run).
#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "base/error.hpp"
#include "cli/compose_logs.hpp"
#include "cli/compose_project.hpp"
#include "cli/compose_test.hpp"
#include "cli/project_options.hpp"
#include "cli/test_reaper.hpp"
#include "compose/orchestrate/labels.hpp"
#include "network/network_manager.hpp"

namespace berth::cli {
namespace {

using namespace compose::orchestrate;

constexpr int kNotReady = 125;  // documented in README.md ("berth test")
constexpr const char* kOwnerLabel = "berth.test.owner";

// CMD as it followed "--" on the command line, set aside before CLI11 parses the rest.
std::vector<std::string>& test_command() {
  static std::vector<std::string> cmd;
  return cmd;
}
bool& had_separator() {
  static bool seen = false;
  return seen;
}

struct TestFlags {
  bool keep_ports = false, keep_on_failure = false, build = false, no_build = false;
  int logs_on_failure = 50, wait_timeout = 0, timeout = -1;
  std::vector<std::string> services;
};

// What a signal does depends on the phase: while CMD runs it is passed on to CMD (whose exit
// then ends the run as usual); while the project comes up berth dies of it and the reaper takes
// the project down (`up` cannot be interrupted half-way cleanly, the reaper's `down` can); while
// it goes down, it is ignored: the teardown is what was asked for.
enum Phase { kUp, kCommand, kDown };
std::atomic<int> phase{kUp};
std::atomic<pid_t> child{0};

void on_signal(int sig) {
  switch (phase.load()) {
    case kCommand:
      if (pid_t c = child.load(); c > 0) ::kill(c, sig);
      break;
    case kUp:
      ::signal(sig, SIG_DFL);
      ::raise(sig);
      break;
    default: break;
  }
}

void install_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

std::string unique_name(const std::string& base) {
  std::random_device rd;
  return fmt::format("{}-test-{:08x}", base, rd());
}

// BERTH_PORT_<SERVICE>_<CONTAINERPORT>[_UDP]: upper case, other characters as '_'.
std::string port_variable(const std::string& service, const network::PublishedPort& pp) {
  std::string v = "BERTH_PORT_";
  for (char c : service) v += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  v += "_" + std::to_string(pp.container_port);
  if (pp.protocol != "tcp") {
    v += "_";
    for (char c : pp.protocol) v += static_cast<char>(std::toupper(c));
  }
  return v;
}

// The published ports of the running project, as "host:port" reachable from this host. The first
// replica of a service gives the variable; later ones are in the JSON file only when they differ.
std::map<std::string, std::string> port_map(const StatePaths& paths, ProjectRuntime& pr) {
  network::NetworkManager nm(paths);
  std::map<std::string, std::string> out;
  for (const auto& c : pr.containers(false))
    for (const auto& pp : nm.published(c.id)) {
      std::string host = pp.host_ip.empty() || pp.host_ip == "0.0.0.0" ? "127.0.0.1" : pp.host_ip;
      if (host.find(':') != std::string::npos) host = "[" + host + "]";
      out.emplace(port_variable(c.labels.at(kServiceLabel), pp), host + ":" + std::to_string(pp.host_port));
    }
  return out;
}

// Published host ports become ephemeral ones on the loopback (unless the file names an address):
// two runs of one file never compete for a port, and a test stack is not exposed to the network.
void remap_ports(compose::Project& p) {
  for (auto& [name, s] : p.services)
    for (auto& port : s.ports) {
      if (port.published.empty()) continue;
      port.published = {};
      if (port.host_ip.empty() || port.host_ip == "0.0.0.0") port.host_ip = "127.0.0.1";
    }
}

// The last `lines` log lines of every container that exited non-zero, is unhealthy or restarted.
void print_failure_logs(ProjectRuntime& pr, int lines) {
  if (lines <= 0) return;
  std::vector<engine::ContainerInfo> failed;
  for (const auto& c : pr.containers(true))
    if ((!c.running() && c.exit_code != 0) || c.health == "unhealthy" || c.restart_count > 0)
      failed.push_back(c);
  if (failed.empty()) return;
  LogPrinter printer(failed, ::isatty(STDOUT_FILENO));
  for (const auto& c : failed) {
    std::string why = c.health == "unhealthy" ? "unhealthy"
                      : c.running()           ? fmt::format("restarted {} times", c.restart_count)
                                              : fmt::format("exited with code {}", c.exit_code);
    fmt::print(stderr, "berth test: last {} log lines of {} ({}):\n", lines, c.name, why);
    std::fflush(stderr);
    try {
      printer.follow(pr.runtime(), c, {.tail = static_cast<std::size_t>(lines)});
    } catch (const std::exception& e) {
      fmt::print(stderr, "berth test: logs of {}: {}\n", c.name, describe(e));
    }
  }
  std::fflush(stdout);
}

// CMD on the host, in berth's process group (a Ctrl-C reaches it as it reaches berth), with the
// harness variables. Returns its exit code, 128+N when a signal killed it, 127 when it could not
// be run.
int run_command(const std::vector<std::string>& cmd, const std::map<std::string, std::string>& env) {
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) {
    std::string_view kv = *e;
    if (kv.substr(0, 6) != "BERTH_" || kv.substr(0, 11) == "BERTH_ROOT=" || kv.substr(0, 18) == "BERTH_RUNTIME_DIR=")
      envs.emplace_back(kv);  // an outer harness's variables do not leak into this one's
  }
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = cmd;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  sigset_t none;
  sigemptyset(&none);
  pid_t pid = ::fork();
  if (pid == 0) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execvpe(argv[0], argv.data(), envp.data());
    const char* msg = "berth test: cannot run the command\n";
    (void)!::write(STDERR_FILENO, msg, std::strlen(msg));
    ::_exit(errno == ENOENT ? 127 : 126);
  }
  if (pid < 0) throw_errno("fork");
  child = pid;
  phase = kCommand;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  phase = kDown;
  child = 0;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string down_command(const Context& ctx, const std::string& name) {
  std::string root = ctx.global.root.empty() ? "" : " --root " + ctx.global.root;
  return "berth" + root + " -p " + name + " down -v";
}

int run_test(Context& ctx, const TestFlags& f) {
  const std::vector<std::string>& cmd = test_command();
  if (!had_separator() || cmd.empty()) throw UserError("berth test needs a command after \"--\": berth test [SERVICE...] -- CMD [ARGS...]");
  if (f.build && f.no_build) throw UserError("--build and --no-build are incompatible");
  if (ctx.global.project_name.empty()) {
    // A fresh name per run: the loaded name (directory, `name:`, COMPOSE_PROJECT_NAME) plus a
    // random suffix. Loaded again with it, as every name derived from it (networks, volumes) must
    // follow.
    ctx.global.project_name = unique_name(compose::load_project(load_options(ctx.global, f.services)).name);
  }
  compose::Project p = load_project(ctx, f.services);
  if (!f.keep_ports) remap_ports(p);
  const std::string owner = std::to_string(::getpid());
  for (auto& [name, s] : p.services) s.labels[kOwnerLabel] = owner;

  // The ports file's directory, removed by whoever takes the project down.
  std::string tmpl = (std::filesystem::temp_directory_path() / ("berth-test-" + p.name + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) throw_errno("mkdtemp", tmpl);
  const std::filesystem::path scratch = tmpl;

  install_signals();
  TestReaper reaper(ctx.global.root, p.name, scratch.string());
  const StatePaths paths = ctx.global.state();
  ProjectRuntime pr(paths, p, progress_printer(ctx));
  UpOptions o;
  o.services = f.services;
  o.parallel = ctx.global.parallel;
  o.wait = true;
  o.wait_timeout = std::chrono::seconds(f.wait_timeout);
  o.build = f.build;
  o.no_build = f.no_build;
  o.build_flags.quiet = ctx.global.progress == "quiet";
  int rc = 0;
  bool ready = false;
  try {
    pr.up(o);
    ready = true;
  } catch (const std::exception& e) {
    fmt::print(stderr, "berth test: the project never became ready: {}\n", describe(e));
    rc = kNotReady;
  }
  pr.set_progress({});
  if (ready) {
    std::map<std::string, std::string> env = port_map(paths, pr);
    nlohmann::json ports(env);
    const std::filesystem::path file = scratch / "ports.json";
    std::ofstream(file) << ports.dump(2) << "\n";
    env["BERTH_PROJECT"] = p.name;
    env["BERTH_PORTS_FILE"] = file.string();
    rc = run_command(cmd, env);
  }
  phase = kDown;
  if (rc != 0) print_failure_logs(pr, f.logs_on_failure);
  std::error_code ec;
  std::filesystem::remove_all(scratch, ec);
  if (rc != 0 && f.keep_on_failure) {
    reaper.release();
    fmt::print(stderr, "berth test: project {} kept; remove it with: {}\n", p.name, down_command(ctx, p.name));
    return rc;
  }
  pr.set_progress(progress_printer(ctx));
  DownOptions d;
  d.volumes = true;
  d.timeout = optional_seconds(f.timeout);
  pr.down(d);
  reaper.release();
  return rc;
}

const CommandRegistration test_reg(19, {"test"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("test", "Run a command against a fresh copy of the project, then remove it");
  auto f = std::make_shared<TestFlags>();
  cmd->add_flag("--keep-ports", f->keep_ports, "Publish the ports the file names (default: free ephemeral ports)");
  cmd->add_flag("--keep-on-failure", f->keep_on_failure, "Leave the project up when the command fails");
  cmd->add_option("--logs-on-failure", f->logs_on_failure, "Log lines printed per failed service (default 50; 0: none)");
  cmd->add_option("--wait-timeout", f->wait_timeout, "Maximum seconds to wait for the project to be ready");
  cmd->add_option("-t,--timeout", f->timeout, "Shutdown timeout in seconds");
  cmd->add_flag("--build", f->build, "Build images before starting containers");
  cmd->add_flag("--no-build", f->no_build, "Don't build an image, even if it's missing");
  cmd->add_option("services", f->services, "Services to start (and their dependencies)");
  cmd->footer("berth test [OPTIONS] [SERVICE...] -- CMD [ARGS...]: CMD runs on the host once the project is ready,\n"
              "with BERTH_PROJECT, BERTH_PORT_<SERVICE>_<PORT>[_UDP]=127.0.0.1:N and BERTH_PORTS_FILE; berth exits with\n"
              "its code, or 125 when the project never became ready.");
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f] { return run_test(ctx, *f); };
  });
});

}  // namespace

int set_aside_test_command(const CLI::App& app, int argc, char** argv) {
  if (named_command(app, argc, argv) != "test") return argc;
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--") == 0) {
      had_separator() = true;
      test_command().assign(argv + i + 1, argv + argc);
      return i;
    }
  return argc;
}

}  // namespace berth::cli
