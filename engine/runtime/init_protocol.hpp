#pragma once
// The typed handshake between the monitor and the container init over a SOCK_SEQPACKET
// socketpair (one JSON object per datagram; the init's end is fd 3 and CLOEXEC):
//   monitor -> init   {"type":"spec", ...InitSpec}
//   init -> monitor   {"type":"ready"}                     rootfs, namespaces, user all prepared
//   monitor -> init   {"type":"start"}                     (after the pre-start hooks ran)
//   init -> monitor   EOF (execve succeeded: the CLOEXEC socket closed)
//                     or {"type":"error","errno":N,"exit_code":N,"message":"..."} at any step.
// The monitor (which has no JSON library) only tests for "\"type\":\"ready\"" and forwards error
// datagrams verbatim to the runtime, which parses them with parse_init_error().
#include <optional>
#include <string>

namespace berth::engine {

inline constexpr int kInitSocketFd = 3;
inline constexpr const char* kReadyMessage = "{\"type\":\"ready\"}";
inline constexpr const char* kStartMessage = "{\"type\":\"start\"}";

struct InitError {
  int err = 0;
  int exit_code = 1;
  std::string message;
};

std::string serialize_init_error(const InitError& e);
// nullopt when `datagram` is not an error message.
std::optional<InitError> parse_init_error(const std::string& datagram);

// One datagram; nullopt on EOF. Throws SysError.
std::optional<std::string> recv_datagram(int fd);
void send_datagram(int fd, const std::string& data);

}  // namespace berth::engine
