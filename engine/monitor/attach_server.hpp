#pragma once
// The monitor's side of the attach socket (attach_protocol.hpp).
#include <cstddef>
#include <string>

namespace berth::monitor {

class AttachServer {
 public:
  AttachServer() = default;
  AttachServer(const AttachServer&) = delete;
  AttachServer& operator=(const AttachServer&) = delete;
  ~AttachServer();

  // Listens on <dir>/attach.sock; false (errno set) when it cannot.
  bool listen(const std::string& dir);
  int listen_fd() const { return listen_; }
  int client_fd() const { return client_; }

  // A client connects: the first one is served (and sent what was written before it), others
  // are refused while it is attached.
  void on_accept();
  // A message from the client: input goes to `stdin_fd` (the pty master with a tty), window sizes
  // to `tty_fd` (-1 without a tty); 'e' closes `stdin_fd` when it is a pipe (sets it to -1).
  void on_client(int& stdin_fd, int tty_fd);
  // Output of the container ('o' stdout or tty, 'E' stderr).
  void output(char type, const char* data, std::size_t n);
  void close_client();

 private:
  int listen_ = -1;
  int client_ = -1;
  bool attached_once_ = false;
  std::string early_;  // output before the first client, replayed to it (capped)
};

}  // namespace berth::monitor
