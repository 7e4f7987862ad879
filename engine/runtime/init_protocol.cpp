#include "engine/runtime/init_protocol.hpp"

#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace berth::engine {

std::string serialize_init_error(const InitError& e) {
  return nlohmann::json{{"type", "error"}, {"errno", e.err}, {"exit_code", e.exit_code}, {"message", e.message}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<InitError> parse_init_error(const std::string& datagram) {
  auto j = nlohmann::json::parse(datagram, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("type", "") != "error") return std::nullopt;
  return InitError{j.value("errno", 0), j.value("exit_code", 1), j.value("message", std::string("unknown error"))};
}

std::optional<std::string> recv_datagram(int fd) {
  // Peek the size first: specs with many mounts and env entries can be large.
  for (;;) {
    ssize_t n = ::recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("recv", "init socket");
    }
    if (n == 0) return std::nullopt;  // EOF (nobody sends empty datagrams)
    std::string buf(static_cast<std::size_t>(n), '\0');
    ssize_t r = ::recv(fd, buf.data(), buf.size(), 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_errno("recv", "init socket");
    }
    buf.resize(static_cast<std::size_t>(r));
    return buf;
  }
}

void send_datagram(int fd, const std::string& data) {
  for (;;) {
    if (::send(fd, data.data(), data.size(), MSG_NOSIGNAL) >= 0) return;
    if (errno != EINTR) throw_errno("send", "init socket");
  }
}

}  // namespace berth::engine
