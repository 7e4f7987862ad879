#include "engine/monitor/attach_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/monitor/attach_protocol.hpp"

namespace berth::monitor {
namespace {

constexpr std::size_t kEarlyCap = 64 * 1024;

// Writes all of `n` bytes to a non-blocking fd, waiting for room up to a second in all: a
// container that stops reading its stdin must not stall its monitor.
void write_some(int fd, const char* p, std::size_t n) {
  for (int waits = 0; n > 0 && waits < 10;) {
    ssize_t w = ::write(fd, p, n);
    if (w > 0) {
      p += w;
      n -= static_cast<std::size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno != EAGAIN) return;
    struct pollfd pf = {fd, POLLOUT, 0};
    ::poll(&pf, 1, 100);
    ++waits;
  }
}

}  // namespace

AttachServer::~AttachServer() {
  close_client();
  if (listen_ >= 0) ::close(listen_);
}

bool AttachServer::listen(const std::string& dir) {
  int dfd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dfd, kAttachSocketName);
  ::unlink(addr.sun_path);  // left by an earlier monitor of this container
  listen_ = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  bool ok = listen_ >= 0 && ::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
            ::chmod(addr.sun_path, 0600) == 0 && ::listen(listen_, 4) == 0;
  int saved = errno;
  ::close(dfd);
  if (!ok && listen_ >= 0) {
    ::close(listen_);
    listen_ = -1;
  }
  errno = saved;
  return ok;
}

void AttachServer::on_accept() {
  int c = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
  if (c < 0) return;
  if (client_ >= 0) {  // one terminal at a time
    ::close(c);
    return;
  }
  client_ = c;
  ::send(client_, "h", 1, MSG_NOSIGNAL);
  if (!attached_once_) {
    attached_once_ = true;
    for (std::size_t off = 0; off < early_.size(); off += kAttachMaxMessage - 1) {
      std::string msg = "o" + early_.substr(off, kAttachMaxMessage - 1);
      ::send(client_, msg.data(), msg.size(), MSG_NOSIGNAL);
    }
    early_.clear();
    early_.shrink_to_fit();
  }
}

void AttachServer::on_client(int& stdin_fd, int tty_fd) {
  char buf[kAttachMaxMessage];
  ssize_t n = ::recv(client_, buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {  // the client went away; the container goes on
    close_client();
    return;
  }
  switch (buf[0]) {
    case 'i':
      if (stdin_fd >= 0) write_some(stdin_fd, buf + 1, static_cast<std::size_t>(n - 1));
      break;
    case 'w': {
      buf[n] = '\0';
      unsigned rows = 0, cols = 0;
      if (tty_fd >= 0 && std::sscanf(buf + 1, "%u %u", &rows, &cols) == 2) {
        struct winsize ws = {};
        ws.ws_row = static_cast<unsigned short>(rows);
        ws.ws_col = static_cast<unsigned short>(cols);
        ::ioctl(tty_fd, TIOCSWINSZ, &ws);
      }
      break;
    }
    case 'e':
      if (tty_fd < 0 && stdin_fd >= 0) {
        ::close(stdin_fd);
        stdin_fd = -1;
      }
      break;
    default:
      break;
  }
}

void AttachServer::output(char type, const char* data, std::size_t n) {
  if (client_ < 0) {
    if (!attached_once_ && listen_ >= 0 && early_.size() + n <= kEarlyCap) early_.append(data, n);
    return;
  }
  char msg[kAttachMaxMessage];
  msg[0] = type;
  while (n > 0) {
    std::size_t chunk = n < kAttachMaxMessage - 1 ? n : kAttachMaxMessage - 1;
    std::memcpy(msg + 1, data, chunk);
    // Blocking send: a terminal that reads slowly slows the container's output, as with Docker.
    if (::send(client_, msg, chunk + 1, MSG_NOSIGNAL) < 0) {
      close_client();
      return;
    }
    data += chunk;
    n -= chunk;
  }
}

void AttachServer::close_client() {
  if (client_ >= 0) ::close(client_);
  client_ = -1;
}

}  // namespace berth::monitor
