// Published ports: loopback-only and all-address bindings, UDP, ranges, random host ports and
// hairpin traffic, seen from the host, from an "outside" namespace and from containers.
#include <gtest/gtest.h>

#include <cerrno>

#include "tests/integration/network/net_fixture.hpp"

namespace berth::test {
namespace {

using network::IpAddress;
using network::PortMapping;

const IpAddress kLoopback = IpAddress::parse("127.0.0.1");

class Publish : public NetFixture {
 protected:
  void SetUp() override {
    NetFixture::SetUp();
    if (IsSkipped()) return;
    info_ = nm_->ensure(spec("default"));
  }
  bool rule_of(const std::string& container) {
    for (const auto& k : network::kernel_published_ports())
      if (k.container_id == cid(container)) return true;
    return false;
  }

  network::NetworkInfo info_;
};

TEST_F(Publish, LoopbackBindingAnswersOn127001AndNowhereElse) {
  auto& b = box("web");
  nm_->attach(info_.name, req("web", b));
  BannerServer server(b.path, 80, "web");
  OutsideHost outside(root_.paths.runtime / "netns" / "outside", tag_);
  uint16_t port = free_ports();
  auto pub = nm_->publish(cid("web"), {{"127.0.0.1", port, 0, 80, "tcp"}});
  ASSERT_EQ(pub.size(), 1u);
  EXPECT_EQ(pub[0].host_port, port);
  EXPECT_EQ(pub[0].host_ip, "127.0.0.1");

  EXPECT_EQ(tcp_fetch("", kLoopback, port).value_or("<fail>"), "web");
  // Not on the host's address on the bridge, nor on another host address, from the host itself
  // or from outside: nothing on the host listens there, so the connection is refused.
  for (const auto& addr : {*info_.gateway4, outside.host()}) {
    int err = 0;
    EXPECT_FALSE(tcp_fetch("", addr, port, 1000, &err).has_value()) << addr.str();
    EXPECT_EQ(err, ECONNREFUSED) << addr.str();
  }
  int err = 0;
  EXPECT_FALSE(tcp_fetch(outside.netns(), outside.host(), port, 1000, &err).has_value());
  EXPECT_EQ(err, ECONNREFUSED);

  // Detaching takes the rule away at once.
  EXPECT_TRUE(rule_of("web"));
  nm_->detach_all(cid("web"));
  EXPECT_FALSE(rule_of("web"));
  EXPECT_FALSE(tcp_fetch("", kLoopback, port, 1000).has_value());
}

TEST_F(Publish, AllAddressesBindingAnswersOnLoopbackGatewayAndFromOutside) {
  auto& b = box("web");
  auto att = nm_->attach(info_.name, req("web", b));
  BannerServer server(b.path, 8080, "all");
  OutsideHost outside(root_.paths.runtime / "netns" / "outside", tag_);
  uint16_t port = free_ports();
  auto pub = nm_->publish(cid("web"), {{"", port, 0, 8080, "tcp"}});
  ASSERT_EQ(pub.size(), 1u);
  EXPECT_EQ(pub[0].container_ip, att.ipv4);
  EXPECT_EQ(tcp_fetch("", kLoopback, port).value_or("<fail>"), "all");
  EXPECT_EQ(tcp_fetch("", *info_.gateway4, port).value_or("<fail>"), "all");
  EXPECT_EQ(tcp_fetch("", outside.host(), port).value_or("<fail>"), "all");
  EXPECT_EQ(tcp_fetch(outside.netns(), outside.host(), port).value_or("<fail>"), "all");
}

TEST_F(Publish, UdpPortAnswersOnLoopbackAndFromOutside) {
  auto& b = box("dns");
  nm_->attach(info_.name, req("dns", b));
  BannerServer server(b.path, 5353, "udp:", true);
  OutsideHost outside(root_.paths.runtime / "netns" / "outside", tag_);
  uint16_t lo_port = free_ports(), all_port = free_ports();
  ASSERT_NE(lo_port, all_port);
  nm_->publish(cid("dns"), {{"127.0.0.1", lo_port, 0, 5353, "udp"}, {"", all_port, 0, 5353, "udp"}});
  EXPECT_EQ(udp_roundtrip("", kLoopback, lo_port, "ping").value_or("<fail>"), "udp:ping");
  EXPECT_EQ(udp_roundtrip(outside.netns(), outside.host(), all_port, "far").value_or("<fail>"), "udp:far");
  // The loopback-only port does not answer from outside; TCP on the UDP port is not published.
  EXPECT_FALSE(udp_roundtrip(outside.netns(), outside.host(), lo_port, "x", 500).has_value());
  EXPECT_FALSE(tcp_fetch("", kLoopback, lo_port, 500).has_value());
}

TEST_F(Publish, RangeMapsOneToOneAndAHostRangeForOnePortSkipsTakenPorts) {
  auto& b = box("web");
  nm_->attach(info_.name, req("web", b));
  BannerServer s0(b.path, 9000, "p0"), s1(b.path, 9001, "p1"), s2(b.path, 9002, "p2");
  uint16_t base = free_ports(6);
  auto maps = network::expand_port_range("127.0.0.1", base, base + 2, 9000, 9002, "tcp");
  ASSERT_EQ(maps.size(), 3u);
  // A host process holds base+3: the range base+3..base+5 for port 9000 must pick base+4.
  BannerServer squatter("", static_cast<uint16_t>(base + 3), "squatter", false, "127.0.0.1");
  auto single = network::expand_port_range("127.0.0.1", base + 3, base + 5, 9000, 0, "tcp");
  ASSERT_EQ(single.size(), 1u);
  maps.push_back(single[0]);
  auto pub = nm_->publish(cid("web"), maps);
  ASSERT_EQ(pub.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(pub[i].host_port, base + i);
    EXPECT_EQ(tcp_fetch("", kLoopback, static_cast<uint16_t>(base + i)).value_or("<fail>"), "p" + std::to_string(i));
  }
  EXPECT_EQ(pub[3].host_port, base + 4);
  EXPECT_EQ(tcp_fetch("", kLoopback, static_cast<uint16_t>(base + 4)).value_or("<fail>"), "p0");
  EXPECT_EQ(tcp_fetch("", kLoopback, static_cast<uint16_t>(base + 3)).value_or("<fail>"), "squatter");
  EXPECT_EQ(nm_->published(cid("web")).size(), 4u);
}

TEST_F(Publish, RandomHostPortIsARealFreePort) {
  auto& b = box("web");
  nm_->attach(info_.name, req("web", b));
  BannerServer server(b.path, 80, "random");
  auto pub = nm_->publish(cid("web"), {{"127.0.0.1", 0, 0, 80, "tcp"}, {"127.0.0.1", 0, 0, 80, "udp"}});
  ASSERT_EQ(pub.size(), 2u);
  EXPECT_GE(pub[0].host_port, 49153);
  EXPECT_EQ(tcp_fetch("", kLoopback, pub[0].host_port).value_or("<fail>"), "random");
  EXPECT_GE(pub[1].host_port, 49153);
  // The stored mapping is the real port, not 0.
  auto stored = nm_->published(cid("web"));
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].host_port, pub[0].host_port);
  // A second container asking for a random port gets another one.
  auto& b2 = box("web2");
  nm_->attach(info_.name, req("web2", b2));
  auto pub2 = nm_->publish(cid("web2"), {{"127.0.0.1", 0, 0, 80, "tcp"}});
  ASSERT_EQ(pub2.size(), 1u);
  EXPECT_NE(pub2[0].host_port, pub[0].host_port);
}

TEST_F(Publish, HairpinContainerReachesItsOwnPublishedPortViaAHostAddress) {
  auto& a = box("web");
  auto att = nm_->attach(info_.name, req("web", a));
  auto& c = box("client");
  nm_->attach(info_.name, req("client", c));
  BannerServer server(a.path, 80, "hairpin");
  OutsideHost outside(root_.paths.runtime / "netns" / "outside", tag_);
  uint16_t port = free_ports();
  nm_->publish(cid("web"), {{"", port, 0, 80, "tcp"}});
  // From the container itself, to the gateway and to another host address.
  EXPECT_EQ(tcp_fetch(a.path, *info_.gateway4, port).value_or("<fail>"), "hairpin");
  EXPECT_EQ(tcp_fetch(a.path, outside.host(), port).value_or("<fail>"), "hairpin");
  // From a neighbour on the same network.
  EXPECT_EQ(tcp_fetch(c.path, *info_.gateway4, port).value_or("<fail>"), "hairpin");
  // Straight to its own address still works (no NAT in the way).
  EXPECT_EQ(tcp_fetch(a.path, IpAddress::parse(att.ipv4), 80).value_or("<fail>"), "hairpin");
}

}  // namespace
}  // namespace berth::test
