// berth attach SERVICE: this terminal on a running container of the service, as docker compose
// attach. A container with a tty or an open stdin is reached through its monitor's attach socket
// (stdin relayed unless --no-stdin); one without either has only output, which is followed from
// now on. The detach keys (default ctrl-p,ctrl-q) leave the container running; without a tty,
// the signals berth receives are passed on to it (--sig-proxy). berth exits with the container's
// code once its output ends.
#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "base/error.hpp"
#include "cli/compose_project.hpp"
#include "cli/raw_terminal.hpp"
#include "compose/orchestrate/labels.hpp"

namespace berth::cli {
namespace {

namespace labels = compose::orchestrate;

// Docker's detach key syntax: comma-separated keys, each one character or ctrl-<a-z @ [ \ ] ^ _>.
std::string parse_detach_keys(const std::string& spec) {
  std::string out;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = spec.find(',', start);
    std::string key = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (key.size() == 1) {
      out += key;
    } else if (key.size() == 6 && key.rfind("ctrl-", 0) == 0) {
      char c = key[5];
      if (c >= 'a' && c <= 'z') out += static_cast<char>(c - 'a' + 1);
      else if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 1);
      else if (c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' || c == '_') out += static_cast<char>(c - '@');
      else throw UserError("invalid detach keys (" + spec + ") provided");
    } else {
      throw UserError("invalid detach keys (" + spec + ") provided");
    }
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

void write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

// This terminal in raw mode while a tty is attached; restored by whichever thread ends first
// (the output ending, or the detach keys).
struct Terminal {
  std::mutex mu;
  std::optional<RawTerminal> raw;
  void restore() {
    std::lock_guard lock(mu);
    raw.reset();
  }
};

// Copies this terminal's stdin to `to` until the detach keys are typed (then the terminal is
// restored and berth exits 0 at once: the container keeps running and its stdin stays open, as
// with docker) or stdin ends (then `to` is closed: the container's stdin ends too). Bytes that
// begin the sequence are held until it is complete or broken, as docker's escape proxy does.
void relay_stdin(int to, int pipe_read, const std::string& keys, Terminal* term) {
  std::size_t matched = 0;
  char buf[4096];
  for (;;) {
    ssize_t r = ::read(STDIN_FILENO, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    std::string out;
    for (ssize_t i = 0; i < r; ++i) {
      const char b = buf[i];
      if (b != keys[matched] && matched > 0) {  // the sequence broke: what it held was input
        out.append(keys, 0, matched);
        matched = 0;
      }
      if (b != keys[matched]) {
        out += b;
        continue;
      }
      if (++matched < keys.size()) continue;
      write_all(to, out.data(), out.size());
      // What was typed before the keys reaches the container before berth goes.
      int left = 1;
      for (int tries = 0; left > 0 && tries < 100; ++tries)
        if (::ioctl(pipe_read, FIONREAD, &left) != 0 || left > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      term->restore();
      std::fflush(stdout);
      ::_exit(0);
    }
    write_all(to, out.data(), out.size());
  }
  ::close(to);
}

engine::ContainerInfo pick_container(compose::orchestrate::ProjectRuntime& pr, const std::string& service, int index) {
  std::vector<engine::ContainerInfo> running;
  for (auto& c : pr.containers(false))
    if (c.labels.at(labels::kServiceLabel) == service) running.push_back(std::move(c));
  if (running.empty()) throw UserError("service \"" + service + "\" is not running");
  if (index <= 0) return running.front();  // sorted by number: the first replica
  for (auto& c : running)
    if (c.labels.at(labels::kNumberLabel) == std::to_string(index)) return c;
  throw UserError("service \"" + service + "\" is not running container #" + std::to_string(index));
}

struct AttachFlags {
  std::string service;
  int index = 0;
  bool no_stdin = false;
  bool sig_proxy = true;
  std::string detach_keys;
};

int run_attach(const Context& ctx, const AttachFlags& f) {
  std::string keys = parse_detach_keys(f.detach_keys.empty() ? "ctrl-p,ctrl-q" : f.detach_keys);
  compose::Project p = load_project(ctx, {f.service});
  if (!p.services.count(f.service)) throw UserError("no such service: " + f.service);
  compose::orchestrate::ProjectRuntime pr(ctx.global.state(), p);
  engine::Runtime& rt = pr.runtime();
  engine::ContainerInfo c = pick_container(pr, f.service, f.index);

  // Every thread started below inherits this mask: SIGWINCH reaches attach's signalfd only,
  // the proxied signals reach the proxy's sigwait only.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGWINCH);
  const bool proxy = f.sig_proxy && !c.spec.tty;
  const int proxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  if (proxy)
    for (int s : proxied) sigaddset(&mask, s);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  if (proxy) {
    std::thread([&rt, id = c.id, proxied] {
      sigset_t set;
      sigemptyset(&set);
      for (int s : proxied) sigaddset(&set, s);
      for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) return;
        try {
          rt.kill(id, sig);
        } catch (const std::exception&) {  // it exited meanwhile: nothing to pass on
        }
      }
    }).detach();
  }

  bool attached = false;
  if (c.spec.tty || c.spec.stdin_open) {
    std::fflush(stdout);
    // Lives until the process ends: the relay thread may still hold it when this returns.
    static Terminal term;
    int in = -1;
    if (!f.no_stdin && c.spec.stdin_open) {
      if (c.spec.tty) term.raw.emplace(STDIN_FILENO);
      int fds[2];
      if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe");
      in = fds[0];
      std::thread(relay_stdin, fds[1], fds[0], keys, &term).detach();
    }
    try {
      attached = rt.attach(c.id, in, STDOUT_FILENO, STDERR_FILENO);
    } catch (...) {
      term.restore();
      throw;
    }
    term.restore();
  }
  if (!attached) {
    engine::LogsOptions o;
    o.follow = true;
    o.tail = 0;  // from now on, as an attach sees it
    rt.logs(c.id, o, [](const engine::LogEntry& e) {
      std::FILE* out = e.stream == "stderr" ? stderr : stdout;
      fmt::print(out, "{}", e.line);
      std::fflush(out);
    });
  }
  return rt.wait(c.id);
}

const CommandRegistration reg(31, {"attach"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("attach", "Attach local standard input, output, and error streams to a service's running container");
  auto f = std::make_shared<AttachFlags>();
  cmd->add_option("--index", f->index, "index of the container if service has multiple replicas");
  cmd->add_flag("--no-stdin", f->no_stdin, "Do not attach STDIN");
  cmd->add_flag("--sig-proxy", f->sig_proxy, "Proxy all received signals to the process");
  cmd->add_option("--detach-keys", f->detach_keys, "Override the key sequence for detaching from a container");
  cmd->add_option("service", f->service, "Service")->required();
  cmd->callback([&ctx, f] {
    ctx.action = [&ctx, f] { return run_attach(ctx, *f); };
  });
});

}  // namespace
}  // namespace berth::cli
