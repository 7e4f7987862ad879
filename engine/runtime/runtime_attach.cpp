// Runtime::attach: the client side of a monitor's attach socket (engine/monitor/attach_protocol.hpp).
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "engine/monitor/attach_protocol.hpp"
#include "engine/runtime/runtime.hpp"
#include "engine/runtime/runtime_internal.hpp"

namespace berth::engine {

using namespace detail;
namespace {

void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // the terminal went away: nothing more to show
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void send_window_size(int sock, int tty) {
  struct winsize ws = {};
  if (::ioctl(tty, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0) return;
  char msg[32];
  int n = std::snprintf(msg, sizeof msg, "w%u %u", ws.ws_row, ws.ws_col);
  ::send(sock, msg, static_cast<size_t>(n), MSG_NOSIGNAL);
}

}  // namespace

bool Runtime::attach(const std::string& name_or_id, int in, int out, int err) {
  ContainerInfo info = inspect(name_or_id);
  if (!info.spec.tty && !info.spec.stdin_open) return false;
  ContainerFiles f = files_for(paths_, info.id);
  UniqueFd dir(::open(f.dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) throw_errno("open", f.dir.string());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dir.get(), monitor::kAttachSocketName);
  UniqueFd sock(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!sock) throw_errno("socket", "attach " + info.name);
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) return false;  // no monitor listening: it exited
    throw_errno("connect", "attach socket of " + info.name);
  }
  const bool tty = info.spec.tty && ::isatty(out);
  if (tty) send_window_size(sock.get(), out);
  sigset_t winch, old_mask;
  ::sigemptyset(&winch);
  ::sigaddset(&winch, SIGWINCH);
  ::pthread_sigmask(SIG_BLOCK, &winch, &old_mask);  // SIGWINCH arrives through the signalfd
  struct RestoreMask {
    sigset_t mask;
    ~RestoreMask() { ::pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{old_mask};
  UniqueFd sigfd(tty ? ::signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK) : -1);

  bool stdin_open = in >= 0 && info.spec.stdin_open;
  bool served = false;  // the monitor greets a client it serves (attach_protocol.hpp)
  char buf[monitor::kAttachMaxMessage];
  for (;;) {
    struct pollfd fds[3];
    int n = 0, in_i = -1, sig_i = -1;
    fds[n++] = {sock.get(), POLLIN, 0};
    if (stdin_open) in_i = n, fds[n++] = {in, POLLIN, 0};
    if (sigfd) sig_i = n, fds[n++] = {sigfd.get(), POLLIN, 0};
    if (::poll(fds, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll", "attach " + info.name);
    }
    if (fds[0].revents) {
      ssize_t r = ::recv(sock.get(), buf, sizeof buf, 0);
      if (r < 0 && errno == EINTR) continue;
      // The monitor closed: the container's output has ended, or (never greeted) it was exiting
      // when we connected and the output is in the log only.
      if (r <= 0) return served;
      if (buf[0] == 'h') {
        served = true;
        continue;
      }
      write_all(buf[0] == 'E' ? err : out, buf + 1, static_cast<size_t>(r - 1));
    }
    // A resize before the input that follows it: `stty size` typed after it sees the new size.
    if (sig_i >= 0 && fds[sig_i].revents) {
      struct signalfd_siginfo si;
      while (::read(sigfd.get(), &si, sizeof si) == sizeof si) {
      }
      send_window_size(sock.get(), out);
    }
    if (in_i >= 0 && fds[in_i].revents) {
      buf[0] = 'i';
      ssize_t r = ::read(in, buf + 1, sizeof buf - 1);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {  // end of our stdin: the container's stdin ends too (without a tty)
        ::send(sock.get(), "e", 1, MSG_NOSIGNAL);
        stdin_open = false;
      } else {
        ::send(sock.get(), buf, static_cast<size_t>(r) + 1, MSG_NOSIGNAL);
      }
    }
  }
}

}  // namespace berth::engine
