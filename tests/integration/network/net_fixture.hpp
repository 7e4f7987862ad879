#pragma once
// The fixture of the network tests in this folder beside network_basic_test.cpp: a NetworkManager
// over a temp root, netns "containers", and a TearDown that removes every network and then checks
// that none of the kernel objects derived from the names the test used is left (bridge, nft table).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "network/host_ports.hpp"
#include "network/naming.hpp"
#include "network/netlink.hpp"
#include "network/network_manager.hpp"
#include "network/nft.hpp"
#include "tests/integration/network/net_harness.hpp"
#include "tests/support/privileged.hpp"
#include "tests/support/test_image.hpp"

namespace berth::test {

class NetFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    BERTH_REQUIRE_ROOT();
    tag_ = unique_tag();
    upstream_ = std::make_unique<FakeUpstream>();
    nm_ = std::make_unique<network::NetworkManager>(root_.paths, test_options(upstream_->address()));
  }
  void TearDown() override {
    if (!nm_) return;
    boxes_.clear();
    for (const auto& n : nm_->list()) {
      try {
        nm_->remove(n.name, true);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "cleanup of " << n.name << ": " << describe(e);
      }
    }
    for (const auto& name : names_) {
      std::string bridge = network::bridge_name(root_.paths.root, name);
      EXPECT_FALSE(network::Netlink().ifindex(bridge).has_value()) << "bridge " << bridge << " of " << name << " left";
      EXPECT_FALSE(nft_table_exists(network::table_name(bridge))) << "nft table of " << name << " left";
    }
  }

  NetnsBox& box(const std::string& name) {
    boxes_.push_back(std::make_unique<NetnsBox>(root_.paths.runtime / "netns" / name));
    return *boxes_.back();
  }
  std::string cid(const std::string& name) const { return name + "-" + tag_; }
  network::AttachRequest req(const std::string& name, const NetnsBox& b, std::vector<std::string> dns_names = {}) {
    network::AttachRequest r;
    r.container_id = cid(name);
    r.container_name = name;
    r.netns_path = b.path.string();
    r.dns_names = dns_names.empty() ? std::vector<std::string>{name} : std::move(dns_names);
    return r;
  }
  network::NetworkSpec spec(const std::string& n) {
    network::NetworkSpec s;
    s.name = "t" + tag_ + "_" + n;
    names_.insert(s.name);
    return s;
  }
  std::string bridge_of(const network::NetworkSpec& s) const { return network::bridge_name(root_.paths.root, s.name); }

  TempRoot root_;
  std::string tag_;
  std::unique_ptr<FakeUpstream> upstream_;
  std::unique_ptr<network::NetworkManager> nm_;
  std::vector<std::unique_ptr<NetnsBox>> boxes_;
  std::set<std::string> names_;  // every network name the test asked for
};

// `count` consecutive TCP and UDP ports free on every host address and in no berth rule (raced by
// other processes only; tests run serially).
inline uint16_t free_ports(int count = 1) {
  static uint32_t seed = static_cast<uint32_t>(::getpid()) * 7919u;
  for (int attempt = 0; attempt < 200; ++attempt) {
    seed = seed * 1103515245u + 12345u;
    auto base = static_cast<uint16_t>(20000 + (seed >> 8) % 9000);
    bool ok = true;
    for (int i = 0; i < count && ok; ++i)
      for (const char* proto : {"tcp", "udp"})
        if (network::host_port_holder(proto, "", static_cast<uint16_t>(base + i))) ok = false;
    for (const auto& k : network::kernel_published_ports())
      if (k.port >= base && k.port < base + count) ok = false;
    if (ok) return base;
  }
  throw std::runtime_error("no free host ports found");
}

// A `sleep` process holding a bound (TCP: listening) socket on ip:port that the test made and
// handed over: the port's only holder is a process with a known name and pid.
class HeldPort {
 public:
  HeldPort(const std::string& proto, const std::string& ip, uint16_t port) {
    bool tcp = proto == "tcp";
    int fd = ::socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);  // inherited by the child
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    std::memcpy(&sa.sin_addr, network::IpAddress::parse(ip).bytes(), 4);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || (tcp && ::listen(fd, 4) != 0)) {
      std::string err = std::strerror(errno);
      if (fd >= 0) ::close(fd);
      throw std::runtime_error("HeldPort: " + err);
    }
    // A close-on-exec pipe tells when the child is `sleep` (before that it has our name).
    int sync[2];
    if (::pipe2(sync, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/bin/sleep", "sleep", "120", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fd);
    ::close(sync[1]);
    char c;
    while (::read(sync[0], &c, 1) < 0 && errno == EINTR) {
    }
    ::close(sync[0]);
    if (pid_ < 0) throw std::runtime_error("fork");
  }
  ~HeldPort() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// A network namespace standing for another machine, joined to the host by a veth pair of our own:
// the host end gets HOST_IP/24 (a host address that is neither loopback nor a berth bridge), the
// namespace end PEER_IP/24. Uses 198.18.0.0/15 (benchmarking range), never a host route.
struct OutsideHost {
  OutsideHost(const std::filesystem::path& netns_path, const std::string& tag)
      : box(netns_path), host_if("bto" + tag) {
    unsigned third = 0;
    for (char c : tag) third = third * 31 + static_cast<unsigned char>(c);
    third = 100 + third % 100;  // 198.18.100-199.x: apart from the basic tests' 198.18.77.1
    std::string net = "198.18." + std::to_string(third) + ".";
    host_ip = net + "1";
    peer_ip = net + "2";
    std::string out;
    std::string cmd = "ip link add " + host_if + " type veth peer name eth0 netns " + box.path.string() +
                      " && ip addr add " + host_ip + "/24 dev " + host_if + " && ip link set " + host_if +
                      " up && nsenter --net=" + box.path.string() + " sh -c 'ip addr add " + peer_ip +
                      "/24 dev eth0 && ip link set eth0 up'";
    if (run_command(cmd, &out) != 0) {
      run_command("ip link del " + host_if);
      throw std::runtime_error("outside host: " + out);
    }
  }
  ~OutsideHost() { run_command("ip link del " + host_if); }
  network::IpAddress host() const { return network::IpAddress::parse(host_ip); }
  std::string netns() const { return box.path.string(); }

  NetnsBox box;
  std::string host_if, host_ip, peer_ip;
};

}  // namespace berth::test
