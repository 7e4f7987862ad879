#pragma once
// Is a host port free? Looks at the sockets of the host's network namespace (/proc/net/tcp,
// tcp6, udp, udp6), tries to bind() it, and names the process holding it (by the socket inode
// in /proc/*/fd) so that the error says who to stop.
#include <cstdint>
#include <optional>
#include <string>

namespace berth::network {

// nullopt when `protocol` port `port` on `host_ip` ("" = all addresses) can be published;
// else who holds it: "process nginx (pid 1234)" or "another socket".
std::optional<std::string> host_port_holder(const std::string& protocol, const std::string& host_ip, uint16_t port);

// "nginx (pid 1234)" for the process owning socket inode `inode`, nullopt if none is found.
std::optional<std::string> socket_owner(unsigned long inode);

}  // namespace berth::network
