#include "network/dns_control.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "base/daemon_cgroup.hpp"
#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/log.hpp"
#include "base/unique_fd.hpp"

namespace berth::network {

namespace fs = std::filesystem;

DnsControl::DnsControl(fs::path dir, fs::path program) : dir_(std::move(dir)), program_(std::move(program)) {}

fs::path DnsControl::find_program(const fs::path& configured) {
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("BERTH_DNS_PATH"); env && *env) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  // The CLI has it beside itself; test programs live one or two directories below the build dir.
  if (!ec)
    for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path())
      if (fs::exists(dir / "berth-dns")) return dir / "berth-dns";
  return "berth-dns";
}

std::optional<std::string> DnsControl::request(const std::string& command, int timeout_ms) const {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket", "unix");
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::string path = control_path().string();
  if (path.size() >= sizeof sa.sun_path) throw UserError("runtime dir path too long for a unix socket: " + path);
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return std::nullopt;
  std::string line = command + "\n";
  if (::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size()))
    return std::nullopt;
  std::string reply;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (reply.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw UserError("berth-dns did not answer \"" + command + "\" in time");
    pollfd p{fd.get(), POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno != EINTR) throw_errno("poll", path);
    if (rc <= 0) continue;
    char buf[512];
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0) return std::nullopt;  // it went away mid-answer
    reply.append(buf, static_cast<size_t>(n));
  }
  reply.resize(reply.find('\n'));
  return reply;
}

std::optional<pid_t> DnsControl::running_pid() const {
  try {
    auto r = request("ping", 2000);
    if (r && r->rfind("pong ", 0) == 0) return static_cast<pid_t>(std::stol(r->substr(5)));
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

void DnsControl::spawn() const {
  fs::path program = find_program(program_);
  if (::access(program.c_str(), X_OK) != 0)
    throw UserError("cannot start the DNS server: " + program.string() + " is not an executable (set BERTH_DNS_PATH)");
  std::string prog = program.string(), table = table_path().string(), control = control_path().string(),
              pidfile = pid_path().string();
  const char* argv[] = {prog.c_str(), "--table", table.c_str(), "--control", control.c_str(), "--pidfile",
                        pidfile.c_str(), nullptr};
  UniqueFd log(::open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!log || !null) throw_errno("open", log_path().string());
  std::vector<std::string> procs = daemon_cgroup_procs();  // out of the caller's cgroup
  // Double fork: the server is nobody's child (no zombie in a long-lived caller, no SIGCHLD),
  // in its own session. Only async-signal-safe calls between fork and exec: callers have threads.
  pid_t child = ::fork();
  if (child < 0) throw_errno("fork", "berth-dns");
  if (child == 0) {
    ::setsid();
    join_daemon_cgroup(procs);
    pid_t grandchild = ::fork();
    if (grandchild != 0) ::_exit(grandchild < 0 ? 1 : 0);
    ::dup2(null.get(), 0);
    ::dup2(log.get(), 1);
    ::dup2(log.get(), 2);
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    ::execv(argv[0], const_cast<char* const*>(argv));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  // Wait until it answers on its control socket.
  for (int i = 0; i < 600; ++i) {
    if (running_pid()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::string tail;
  if (auto text = try_read_file(log_path())) tail = text->size() > 300 ? text->substr(text->size() - 300) : *text;
  throw UserError("the DNS server (" + prog + ") did not start: " + tail);
}

std::string DnsControl::apply(const DnsTable& table) {
  fs::create_directories(dir_);
  // Rebuilt from the network records at every change, and the server it feeds dies with a
  // reboot: no fsync (it was most of a container's network attach).
  write_file_atomic(table_path(), dns_table_to_json(table), 0600, Sync::No);
  if (table.networks.empty()) {
    auto pid = running_pid();
    if (!pid) return "";
    auto reply = request("reload", 3000);
    // Wait for it to be gone so that "after down no DNS process is left" holds when we return.
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, *pid, 0)));
    if (pidfd) {
      pollfd p{pidfd.get(), POLLIN, 0};
      ::poll(&p, 1, 3000);
    }
    std::error_code ec;
    fs::remove(table_path(), ec);
    return reply && *reply == "ok exit" ? "" : "DNS server answered " + reply.value_or("nothing");
  }
  auto reply = request("reload", 3000);
  if (!reply) {
    spawn();
    reply = request("reload", 3000);
  }
  if (!reply) return "DNS server did not answer";
  if (*reply == "ok") return "";
  return reply->rfind("error ", 0) == 0 ? reply->substr(6) : *reply;
}

}  // namespace berth::network
