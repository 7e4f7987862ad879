#pragma once
// Helpers for the network integration tests: a temp state root, "containers" that are just
// bind-mounted network namespaces, and tiny TCP/UDP/DNS clients and servers that run inside
// them (sockets created while the thread is in the namespace stay there).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/paths.hpp"
#include "base/unique_fd.hpp"
#include "network/ip.hpp"
#include "network/network_manager.hpp"

namespace berth::test {

// A unique short tag for names in this test process ("a1b2c3").
std::string unique_tag();

struct TempRoot {
  TempRoot();
  ~TempRoot();
  std::filesystem::path dir;
  StatePaths paths;
};

// A persistent netns bind-mounted on a file (what the runtime gives every container).
struct NetnsBox {
  explicit NetnsBox(const std::filesystem::path& path);
  ~NetnsBox();
  std::filesystem::path path;
  UniqueFd fd;
};

// A socket created inside `netns` ("" = the test's own namespace).
UniqueFd socket_in(const std::string& netns, int domain, int type);

// Connects, reads until EOF; nullopt (and the errno in *err) when it fails.
std::optional<std::string> tcp_fetch(const std::string& netns, const network::IpAddress& ip, uint16_t port,
                                     int timeout_ms = 2000, int* err = nullptr);
// Sends one datagram, returns the reply.
std::optional<std::string> udp_roundtrip(const std::string& netns, const network::IpAddress& ip, uint16_t port,
                                         const std::string& payload, int timeout_ms = 2000);

// Answers each TCP connection with `banner` and closes it; each UDP datagram with banner+payload.
class BannerServer {
 public:
  BannerServer(const std::string& netns, uint16_t port, std::string banner, bool udp = false,
               const std::string& bind_ip = "");
  ~BannerServer();
  uint16_t port() const { return port_; }

 private:
  UniqueFd sock_;
  uint16_t port_ = 0;
  std::string banner_;
  bool udp_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct DnsResult {
  int rcode = -1;  // -1: no answer
  std::vector<network::IpAddress> addresses;
  std::vector<std::string> ptr;
};
DnsResult dns_query(const std::string& netns, const network::IpAddress& server, const std::string& name,
                    uint16_t qtype, bool tcp = false, uint16_t port = 53, int timeout_ms = 3000);

// A loopback upstream resolver for forwarding tests: answers "<anything>.upstream.test" with
// 198.51.100.7 (never contacted: documentation range) and NXDOMAIN otherwise, over UDP and TCP.
class FakeUpstream {
 public:
  FakeUpstream();
  ~FakeUpstream();
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int queries() const { return queries_; }

 private:
  UniqueFd udp_, tcp_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::thread thread_;
};

// Names of host links / nft tables matching a prefix (for leftover checks).
std::vector<std::string> host_links_with_prefix(const std::string& prefix);
bool nft_table_exists(const std::string& table);
bool process_alive(int pid);

// A dummy interface in the host namespace with one address (our own, not the host's).
struct DummyInterface {
  DummyInterface(const std::string& name, const std::string& cidr);
  ~DummyInterface();
  std::string name;
};

// Options every test uses: upstream injected (never the host's resolvers).
network::NetworkOptions test_options(const std::string& upstream = "127.0.0.1:1");

}  // namespace berth::test
