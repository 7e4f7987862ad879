// Bad network input through the NetworkManager: overlapping subnets, static addresses it cannot
// give, host ports that are taken. Each is one clear UserError and leaves nothing behind: no
// record, no bridge, no nft rule, no veth, no DNS name.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "network/dns_message.hpp"
#include "tests/integration/network/net_fixture.hpp"

namespace berth::test {
namespace {

using network::IpAddress;
using network::NetworkSpec;
using network::Subnet;

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const UserError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not a UserError: ") + e.what();
  }
  return "no error";
}

class BadInput : public NetFixture {
 protected:
  void SetUp() override {
    NetFixture::SetUp();
    if (IsSkipped()) return;
    // 10.231.N.0/24: outside berth's pool (so no concurrent network is given it) and no host route.
    third_ = std::to_string(20 + std::stoul(tag_.substr(0, 2), nullptr, 16) % 200);
  }
  NetworkSpec with_subnet(const std::string& n, const std::string& cidr) {
    auto s = spec(n);
    s.ipam.push_back({Subnet::parse(cidr), std::nullopt, std::nullopt});
    return s;
  }
  // Nothing of network `s` exists: no record, no bridge, no nft table.
  void expect_absent(const NetworkSpec& s) {
    EXPECT_FALSE(nm_->find(s.name).has_value()) << s.name;
    EXPECT_FALSE(std::filesystem::exists(root_.paths.root / "networks" / (s.name + ".json")));
    EXPECT_FALSE(network::Netlink().ifindex(bridge_of(s)).has_value()) << bridge_of(s);
    EXPECT_FALSE(nft_table_exists(network::table_name(bridge_of(s))));
  }
  std::string subnet(int offset = 0) const { return "10.231." + std::to_string(std::stoi(third_) + offset) + ".0/24"; }
  std::string addr(int host, int offset = 0) const {
    return "10.231." + std::to_string(std::stoi(third_) + offset) + "." + std::to_string(host);
  }

  std::string third_;
};

TEST_F(BadInput, TwoNetworksAskingForTheSameSubnet) {
  auto first = nm_->ensure(with_subnet("one", subnet()));
  EXPECT_EQ(first.subnet4->str(), subnet());
  auto same = with_subnet("two", subnet());
  auto msg = error_of([&] { nm_->ensure(same); });
  EXPECT_NE(msg.find("network " + same.name + ": subnet " + subnet() + " overlaps " + subnet()), std::string::npos)
      << msg;
  expect_absent(same);
  // A part of it overlaps too.
  auto part = with_subnet("part", addr(128) + "/25");
  msg = error_of([&] { nm_->ensure(part); });
  EXPECT_NE(msg.find("overlaps " + subnet()), std::string::npos) << msg;
  expect_absent(part);
  // The first network is untouched and still works.
  auto& b = box("a");
  EXPECT_EQ(nm_->attach(first.name, req("a", b)).ipv4, addr(2));
  EXPECT_EQ(nm_->list().size(), 1u);
}

TEST_F(BadInput, SubnetOverlappingAHostRoute) {
  // A route of our own (the connected /24 of a test veth), asked for in its upper half, which
  // holds none of the host's addresses: only the route says it is taken...
  OutsideHost outside(root_.paths.runtime / "netns" / "outside", tag_);
  Subnet route(outside.host(), 24);
  auto s = with_subnet("route", Subnet(outside.host().plus(127), 25).str());
  auto msg = error_of([&] { nm_->ensure(s); });
  EXPECT_NE(msg.find("overlaps " + route.str()), std::string::npos) << msg;
  EXPECT_NE(msg.find("host route"), std::string::npos) << msg;
  expect_absent(s);
  // ...and a real one of the host, only read: the subnet of an IPv4 route not made by berth.
  std::optional<Subnet> host_route;
  network::Netlink nl;
  for (const auto& r : nl.routes()) {
    if (r.dst.family() != IpAddress::Family::V4 || r.dst.prefix() < 8 || r.dst.prefix() > 30) continue;
    auto name = nl.link_name(r.ifindex);
    if (!name || *name == "lo" || name->rfind(network::kBridgePrefix, 0) == 0 || *name == outside.host_if) continue;
    host_route = r.dst;
    break;
  }
  if (!host_route) GTEST_SKIP() << "no IPv4 host route to test against";
  auto h = with_subnet("hostroute", host_route->str());
  msg = error_of([&] { nm_->ensure(h); });
  EXPECT_NE(msg.find("overlaps"), std::string::npos) << msg;
  expect_absent(h);
}

TEST_F(BadInput, StaticAddressesTheNetworkCannotGive) {
  auto info = nm_->ensure(with_subnet("static", subnet()));
  auto& peer = box("peer");
  nm_->attach(info.name, req("peer", peer));
  auto& b = box("bad");
  struct Case {
    std::optional<IpAddress> v4, v6;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {IpAddress::parse(addr(5, 1)), std::nullopt, "address " + addr(5, 1) + " is outside the network's subnet " + subnet()},
      {IpAddress::parse(addr(0)), std::nullopt, "is the network or broadcast address"},
      {IpAddress::parse(addr(255)), std::nullopt, "is the network or broadcast address"},
      {IpAddress::parse(addr(1)), std::nullopt, "address " + addr(1) + " is already in use"},  // the gateway
      {IpAddress::parse(addr(2)), std::nullopt, "address " + addr(2) + " is already in use"},  // the peer
      {std::nullopt, IpAddress::parse("fd00:db8::5"), "has no IPv6 subnet"},
      {IpAddress::parse("fd00:db8::5"), std::nullopt, "outside the network's subnet"},
  };
  for (const auto& c : cases) {
    auto r = req("bad", b);
    r.ipv4 = c.v4;
    r.ipv6 = c.v6;
    auto msg = error_of([&] { nm_->attach(info.name, r); });
    EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
    EXPECT_NE(msg.find("bad"), std::string::npos) << "names the container: " << msg;
  }
  // Nothing of "bad" was made: no lease, no veth, no interface in its netns, no DNS name.
  EXPECT_TRUE(nm_->attachments(cid("bad")).empty());
  auto rec = nm_->find(info.name);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->containers, std::vector<std::string>{cid("peer")});
  EXPECT_FALSE(network::Netlink().ifindex(network::host_veth_name(info.id, cid("bad"))).has_value());
  for (const auto& name : network::Netlink::in_netns(b.fd.get()).link_names())
    EXPECT_NE(name.rfind("eth", 0), 0u) << "interface " << name << " left in the container";
  EXPECT_EQ(dns_query(peer.path, *info.gateway4, "bad", network::dns::kTypeA).rcode, network::dns::kNxDomain);
  // A valid static address still works afterwards.
  auto r = req("bad", b);
  r.ipv4 = IpAddress::parse(addr(77));
  EXPECT_EQ(nm_->attach(info.name, r).ipv4, addr(77));
}

TEST_F(BadInput, HostPortHeldByAProcessIsNamed) {
  auto info = nm_->ensure(spec("ports"));
  auto& b = box("web");
  nm_->attach(info.name, req("web", b));
  uint16_t port = free_ports(2);
  uint16_t other = static_cast<uint16_t>(port + 1);
  HeldPort tcp("tcp", "127.0.0.1", port);
  HeldPort udp("udp", "0.0.0.0", other);
  const std::string tcp_holder = "process sleep (pid " + std::to_string(tcp.pid()) + ")";
  const std::string udp_holder = "process sleep (pid " + std::to_string(udp.pid()) + ")";

  // The same address, and "all addresses" (which include it): both clash.
  for (const std::string ip : {"127.0.0.1", ""}) {
    auto msg = error_of([&] { nm_->check_ports({{ip, port, 0, 80, "tcp"}}); });
    EXPECT_NE(msg.find(":" + std::to_string(port) + "/tcp"), std::string::npos) << msg;
    EXPECT_NE(msg.find(tcp_holder), std::string::npos) << msg;
  }
  auto msg = error_of([&] { nm_->check_ports({{"127.0.0.1", other, 0, 53, "udp"}}); });
  EXPECT_NE(msg.find(udp_holder), std::string::npos) << msg;
  // The other protocol on the same number is free.
  EXPECT_EQ(error_of([&] { nm_->check_ports({{"127.0.0.1", port, 0, 80, "udp"}}); }), "no error");

  // publish: all or nothing, the earlier mapping of the container stays.
  uint16_t good = free_ports();
  nm_->publish(cid("web"), {{"127.0.0.1", good, 0, 80, "tcp"}});
  msg = error_of([&] { nm_->publish(cid("web"), {{"127.0.0.1", good, 0, 80, "tcp"}, {"127.0.0.1", port, 0, 81, "tcp"}}); });
  EXPECT_NE(msg.find(tcp_holder), std::string::npos) << msg;
  auto kept = nm_->published(cid("web"));
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].host_port, good);
  int rules = 0;
  for (const auto& k : network::kernel_published_ports())
    if (k.container_id == cid("web")) {
      ++rules;
      EXPECT_EQ(k.port, good);
    }
  EXPECT_EQ(rules, 1);

  // A port another berth container publishes is named as such.
  auto& b2 = box("web2");
  nm_->attach(info.name, req("web2", b2));
  msg = error_of([&] { nm_->publish(cid("web2"), {{"", good, 0, 80, "tcp"}}); });
  EXPECT_NE(msg.find("berth container " + cid("web").substr(0, 12)), std::string::npos) << msg;
  EXPECT_TRUE(nm_->published(cid("web2")).empty());
}

}  // namespace
}  // namespace berth::test
