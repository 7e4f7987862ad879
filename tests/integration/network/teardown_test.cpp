// After the last network of a state root goes, nothing berth made for it is left on the host:
// bridges, veths, addresses, routes, nft tables and rules, the DNS server process, state files.
// Taken down the way `down` does it: release each container, its netns goes, then the network.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "network/dns_control.hpp"
#include "tests/integration/network/net_fixture.hpp"

namespace berth::test {
namespace {

using network::IpAddress;
using network::Subnet;

std::string command_output(const std::string& cmd) {
  std::string out;
  EXPECT_EQ(run_command(cmd, &out), 0) << cmd << ": " << out;
  return out;
}

// Pids of processes whose command line mentions `needle`.
std::vector<int> processes_mentioning(const std::string& needle) {
  std::vector<int> out;
  std::error_code ec;
  for (const auto& p : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = p.path().filename().string();
    if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid[0]))) continue;
    std::ifstream in(p.path() / "cmdline");
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str().find(needle) != std::string::npos) out.push_back(std::stoi(pid));
  }
  return out;
}

// Alive and not a zombie (an exited berth-dns is reaped by whoever inherited it, maybe later).
bool running(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

using Teardown = NetFixture;

TEST_F(Teardown, NothingOfTheRootIsLeftAfterTheLastNetworkGoes) {
  auto front_spec = spec("front");
  front_spec.enable_ipv6 = true;
  auto back_spec = spec("back");
  back_spec.internal = true;
  auto front = nm_->ensure(front_spec);
  auto back = nm_->ensure(back_spec);
  auto& web = box("web");
  auto& db = box("db");
  nm_->attach(front.name, req("web", web));
  nm_->attach(back.name, req("web", web));
  nm_->attach(back.name, req("db", db));
  uint16_t port = free_ports();
  nm_->publish(cid("web"), {{"127.0.0.1", port, 0, 80, "tcp"}, {"", port, 0, 53, "udp"}});

  const std::vector<std::string> bridges = {front.bridge, back.bridge};
  const std::vector<std::string> veths = {network::host_veth_name(front.id, cid("web")),
                                          network::host_veth_name(back.id, cid("web")),
                                          network::host_veth_name(back.id, cid("db"))};
  const std::vector<Subnet> subnets = {*front.subnet4, *front.subnet6, *back.subnet4};
  network::DnsControl dns(root_.paths.runtime / "network", "");
  auto dns_pid = dns.running_pid();

  // Everything is there first (so that the checks below can see what they look for).
  std::string links = command_output("ip -o link show");
  for (const auto& name : bridges) EXPECT_NE(links.find(" " + name + ":"), std::string::npos) << name;
  for (const auto& name : veths) EXPECT_NE(links.find(" " + name + "@"), std::string::npos) << name;
  std::string tables = command_output("nft list tables");
  for (const auto& name : bridges)
    for (const char* family : {"inet", "bridge"})
      EXPECT_NE(tables.find(std::string("table ") + family + " " + network::table_name(name) + "\n"), std::string::npos)
          << tables;
  ASSERT_TRUE(dns_pid.has_value());
  EXPECT_TRUE(running(*dns_pid));
  // Out of the caller's cgroup, in berth's own (base/daemon_cgroup.hpp).
  std::ifstream dns_cgroup("/proc/" + std::to_string(*dns_pid) + "/cgroup");
  std::string dns_cgroups((std::istreambuf_iterator<char>(dns_cgroup)), std::istreambuf_iterator<char>());
  EXPECT_NE(dns_cgroups.find(":/berth/supervisors\n"), std::string::npos) << dns_cgroups;
  auto mentioning = processes_mentioning(root_.paths.runtime.string());
  EXPECT_NE(std::find(mentioning.begin(), mentioning.end(), *dns_pid), mentioning.end());

  // down: containers released and gone (their namespaces with them), then the networks.
  for (const std::string name : {"web", "db"}) nm_->release(cid(name));
  boxes_.clear();
  nm_->remove(front.name);
  nm_->remove(back.name);
  EXPECT_TRUE(nm_->list().empty());

  links = command_output("ip -o link show");
  for (const auto& name : bridges) EXPECT_EQ(links.find(" " + name + ":"), std::string::npos) << "bridge " << name;
  // A veth goes with the container's namespace, which the kernel reaps asynchronously (tens of
  // ms after its last reference, more on a loaded machine): allow it two seconds.
  auto veth_left = [&] {
    links = command_output("ip -o link show");
    for (const auto& name : veths)
      if (links.find(" " + name + "@") != std::string::npos) return name;
    return std::string();
  };
  for (int i = 0; i < 40 && !veth_left().empty(); ++i) usleep(50000);
  EXPECT_EQ(veth_left(), "") << "veth left";
  tables = command_output("nft list tables");
  for (const auto& name : bridges)
    EXPECT_EQ(tables.find(network::table_name(name)), std::string::npos) << "nft table of " << name << ": " << tables;
  for (const auto& k : network::kernel_published_ports())
    EXPECT_FALSE(k.container_id.ends_with("-" + tag_)) << "nft rule in " << k.table;
  network::Netlink nl;
  for (const auto& a : nl.addresses())
    for (const auto& s : subnets) EXPECT_FALSE(s.contains(a.address)) << "address " << a.address.str() << " left";
  for (const auto& r : nl.routes())
    for (const auto& s : subnets)
      EXPECT_FALSE(r.dst.prefix() > 0 && s.overlaps(r.dst)) << "route " << r.dst.str() << " left";
  EXPECT_FALSE(dns.running_pid().has_value());
  EXPECT_FALSE(running(*dns_pid)) << "berth-dns " << *dns_pid << " still runs";
  for (int pid : processes_mentioning(root_.paths.runtime.string()))
    EXPECT_FALSE(running(pid)) << "process " << pid << " of the root still runs";
  EXPECT_FALSE(std::filesystem::exists(dns.table_path()));
  for (const auto& f : std::filesystem::directory_iterator(root_.paths.root / "networks"))
    EXPECT_NE(f.path().extension(), ".json") << "record " << f.path() << " left";
}

}  // namespace
}  // namespace berth::test
