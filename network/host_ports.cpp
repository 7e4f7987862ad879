#include "network/host_ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/unique_fd.hpp"
#include "network/ip.hpp"

namespace berth::network {
namespace {

// /proc/net/{tcp,udp}[6] hold addresses as the kernel's in-memory words in hex.
std::optional<IpAddress> parse_proc_addr(const std::string& hex) {
  if (hex.size() == 8) {
    uint32_t w = static_cast<uint32_t>(std::stoul(hex, nullptr, 16));
    return IpAddress::from_bytes(IpAddress::Family::V4, &w);
  }
  if (hex.size() == 32) {
    uint8_t bytes[16];
    for (int i = 0; i < 4; ++i) {
      uint32_t w = static_cast<uint32_t>(std::stoul(hex.substr(i * 8, 8), nullptr, 16));
      std::memcpy(bytes + i * 4, &w, 4);
    }
    return IpAddress::from_bytes(IpAddress::Family::V6, bytes);
  }
  return std::nullopt;
}

bool is_any(const IpAddress& a) {
  const uint8_t* b = a.bytes();
  for (int i = 0; i < (a.is_v4() ? 4 : 16); ++i)
    if (b[i]) return false;
  return true;
}

// The inode of a socket in `file` bound to `port` whose address clashes with `want` (nullopt =
// all addresses); for TCP only listeners count.
std::optional<unsigned long> find_socket(const std::string& file, bool tcp, const std::optional<IpAddress>& want,
                                         uint16_t port) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, st, queues, tr, retr, uid, timeout;
    unsigned long inode = 0;
    if (!(f >> sl >> local >> remote >> st >> queues >> tr >> retr >> uid >> timeout >> inode)) continue;
    auto colon = local.find(':');
    if (colon == std::string::npos) continue;
    if (static_cast<uint16_t>(std::stoul(local.substr(colon + 1), nullptr, 16)) != port) continue;
    if (tcp && st != "0A") continue;  // LISTEN
    auto addr = parse_proc_addr(local.substr(0, colon));
    if (!addr) continue;
    if (want && !is_any(*addr) && !is_any(*want) && *addr != *want) {
      // An IPv4-mapped v6 socket (::ffff:a.b.c.d) clashes with a.b.c.d.
      const uint8_t* b = addr->bytes();
      static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
      if (!(addr->is_v6() && want->is_v4() && std::memcmp(b, mapped, 12) == 0 &&
            std::memcmp(b + 12, want->bytes(), 4) == 0))
        continue;
    }
    return inode;
  }
  return std::nullopt;
}

bool bind_fails(bool tcp, const std::optional<IpAddress>& want, uint16_t port) {
  bool v6 = want && want->is_v6();
  UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  int one = 1;
  if (tcp) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // ignore TIME_WAIT
  int rc;
  if (v6) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(port);
    std::memcpy(&sa.sin6_addr, want->bytes(), 16);
    rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  } else {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (want) std::memcpy(&sa.sin_addr, want->bytes(), 4);
    rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  }
  // EADDRNOTAVAIL (an address the host does not have) is not "taken": nft matches it anyway.
  return rc != 0 && errno == EADDRINUSE;
}

}  // namespace

std::optional<std::string> socket_owner(unsigned long inode) {
  const std::string target = "socket:[" + std::to_string(inode) + "]";
  std::error_code ec;
  for (const auto& proc : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = proc.path().filename().string();
    if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid[0]))) continue;
    std::error_code ec2;
    for (const auto& fd : std::filesystem::directory_iterator(proc.path() / "fd", ec2)) {
      char buf[64];
      ssize_t n = ::readlink(fd.path().c_str(), buf, sizeof buf - 1);
      if (n <= 0) continue;
      buf[n] = 0;
      if (target != buf) continue;
      std::string comm;
      std::ifstream(proc.path() / "comm") >> comm;
      return (comm.empty() ? std::string("process") : comm) + " (pid " + pid + ")";
    }
  }
  return std::nullopt;
}

std::optional<std::string> host_port_holder(const std::string& protocol, const std::string& host_ip, uint16_t port) {
  bool tcp = protocol == "tcp";
  std::optional<IpAddress> want;
  if (!host_ip.empty()) want = IpAddress::parse(host_ip);
  for (const char* suffix : {"", "6"}) {
    std::string file = std::string("/proc/net/") + (tcp ? "tcp" : "udp") + suffix;
    if (auto inode = find_socket(file, tcp, want, port)) {
      if (auto owner = socket_owner(*inode)) return "process " + *owner;
      return std::string("another socket");
    }
  }
  if (bind_fails(tcp, want, port)) return std::string("another socket");
  return std::nullopt;
}

}  // namespace berth::network
