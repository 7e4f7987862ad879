#pragma once
// A listening unix stream socket at a path, closed when the object goes (a stand-in for an ssh
// agent's socket in build tests). valid() is false when it could not be made.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace berth::test {

class ListeningUnixSocket {
 public:
  explicit ListeningUnixSocket(const std::filesystem::path& path) : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(fd_, 1) == 0;
  }
  ~ListeningUnixSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  ListeningUnixSocket(const ListeningUnixSocket&) = delete;
  ListeningUnixSocket& operator=(const ListeningUnixSocket&) = delete;
  bool valid() const { return ok_; }

 private:
  int fd_;
  bool ok_ = false;
};

}  // namespace berth::test
