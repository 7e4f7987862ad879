// Networks, attachments and name resolution between netns "containers".
#include <gtest/gtest.h>

#include <sys/socket.h>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "network/dns_message.hpp"
#include "network/naming.hpp"
#include "network/netlink.hpp"
#include "network/network_manager.hpp"
#include "tests/integration/network/net_fixture.hpp"
#include "tests/integration/network/net_harness.hpp"
#include "tests/support/privileged.hpp"

namespace berth::test {
namespace {

using network::AttachRequest;
using network::IpAddress;
using network::NetworkManager;
using network::NetworkSpec;
namespace dns = network::dns;

// The shared fixture (net_fixture.hpp): its TearDown also checks no bridge or nft table is left.
using NetworkTest = NetFixture;

TEST_F(NetworkTest, TwoContainersResolveAndReachEachOtherByNameAndAlias) {
  auto info = nm_->ensure(spec("default"));
  ASSERT_TRUE(info.subnet4);
  EXPECT_LE(info.bridge.size(), 15u);
  EXPECT_EQ(info.bridge.rfind("brt-", 0), 0u);
  EXPECT_EQ(info.gateway4->str(), info.subnet4->host(1).str());
  EXPECT_TRUE(network::Netlink().ifindex(info.bridge).has_value());

  auto& a = box("a");
  auto& b = box("b");
  auto att_a = nm_->attach(info.name, req("web", a, {"web", "proj-web-1"}));
  auto r = req("db", b, {"db", "proj-db-1", "database"});
  auto att_b = nm_->attach(info.name, r);
  EXPECT_EQ(att_a.interface, "eth0");
  EXPECT_NE(att_a.ipv4, att_b.ipv4);
  EXPECT_TRUE(info.subnet4->contains(IpAddress::parse(att_b.ipv4)));
  EXPECT_EQ(att_a.dns_server, info.gateway4->str());
  EXPECT_EQ(att_a.gateway4, info.gateway4->str());

  // eth0 inside with its address, default route via the gateway
  auto inside = network::Netlink::in_netns(a.fd.get());
  EXPECT_TRUE(inside.ifindex("eth0").has_value());
  bool has_default = false;
  for (const auto& rt : inside.routes())
    if (rt.dst.prefix() == 0 && rt.dst.family() == IpAddress::Family::V4) has_default = true;
  EXPECT_TRUE(has_default);

  auto gw = *info.gateway4;
  for (const std::string name : {"db", "proj-db-1", "database", "DB."}) {
    auto res = dns_query(a.path, gw, name, dns::kTypeA);
    EXPECT_EQ(res.rcode, 0) << name;
    ASSERT_EQ(res.addresses.size(), 1u) << name;
    EXPECT_EQ(res.addresses[0].str(), att_b.ipv4) << name;
  }
  // over TCP too
  auto tres = dns_query(a.path, gw, "web", dns::kTypeA, true);
  ASSERT_EQ(tres.addresses.size(), 1u);
  EXPECT_EQ(tres.addresses[0].str(), att_a.ipv4);
  // reverse lookup of a container address
  auto ip = IpAddress::parse(att_b.ipv4);
  const uint8_t* bb = ip.bytes();
  auto ptr = dns_query(a.path, gw,
                       std::to_string(bb[3]) + "." + std::to_string(bb[2]) + "." + std::to_string(bb[1]) + "." +
                           std::to_string(bb[0]) + ".in-addr.arpa",
                       dns::kTypePTR);
  ASSERT_EQ(ptr.ptr.size(), 1u);
  EXPECT_EQ(ptr.ptr[0], "proj-db-1");
  // AAAA for a v4-only container: the name exists, no data
  auto aaaa = dns_query(a.path, gw, "db", dns::kTypeAAAA);
  EXPECT_EQ(aaaa.rcode, 0);
  EXPECT_TRUE(aaaa.addresses.empty());

  BannerServer server(b.path, 5432, "hello from db");
  EXPECT_EQ(tcp_fetch(a.path, ip, 5432).value_or("<fail>"), "hello from db");
}

TEST_F(NetworkTest, ScaledServiceResolvesToAllReplicas) {
  auto info = nm_->ensure(spec("default"));
  std::set<std::string> ips;
  for (int i = 1; i <= 3; ++i) {
    auto& b = box("web" + std::to_string(i));
    ips.insert(nm_->attach(info.name, req("web-" + std::to_string(i), b, {"web", "web-" + std::to_string(i)})).ipv4);
  }
  auto& client = box("client");
  nm_->attach(info.name, req("client", client, {"client"}));
  auto res = dns_query(client.path, *info.gateway4, "web", dns::kTypeA);
  std::set<std::string> got;
  for (const auto& a : res.addresses) got.insert(a.str());
  EXPECT_EQ(got, ips);
  auto one = dns_query(client.path, *info.gateway4, "web-2", dns::kTypeA);
  EXPECT_EQ(one.addresses.size(), 1u);

  // A replica going away (stop) disappears from the answer at once.
  nm_->detach_all("web-2-" + tag_);
  res = dns_query(client.path, *info.gateway4, "web", dns::kTypeA);
  EXPECT_EQ(res.addresses.size(), 2u);
  EXPECT_EQ(dns_query(client.path, *info.gateway4, "web-2", dns::kTypeA).rcode, dns::kNxDomain);
}

TEST_F(NetworkTest, LinkAliasResolvesOnlyForTheLinkingContainer) {
  auto info = nm_->ensure(spec("default"));
  auto& db = box("db");
  auto& web = box("web");
  auto& other = box("other");
  auto db_att = nm_->attach(info.name, req("db", db, {"db"}));
  auto r = req("web", web, {"web"});
  r.link_aliases = {{"mydb", "db"}};
  nm_->attach(info.name, r);
  nm_->attach(info.name, req("other", other, {"other"}));
  auto res = dns_query(web.path, *info.gateway4, "mydb", dns::kTypeA);
  ASSERT_EQ(res.addresses.size(), 1u);
  EXPECT_EQ(res.addresses[0].str(), db_att.ipv4);
  // not for others: forwarded upstream, which does not know it
  EXPECT_EQ(dns_query(other.path, *info.gateway4, "mydb", dns::kTypeA).rcode, dns::kNxDomain);
}

TEST_F(NetworkTest, ForwardsUnknownNamesToTheUpstreamOverUdpAndTcp) {
  auto info = nm_->ensure(spec("default"));
  auto& a = box("a");
  nm_->attach(info.name, req("a", a, {"a"}));
  auto res = dns_query(a.path, *info.gateway4, "www.upstream.test", dns::kTypeA);
  EXPECT_EQ(res.rcode, 0);
  ASSERT_EQ(res.addresses.size(), 1u);
  EXPECT_EQ(res.addresses[0].str(), "198.51.100.7");
  auto tres = dns_query(a.path, *info.gateway4, "tcp.upstream.test", dns::kTypeA, true);
  ASSERT_EQ(tres.addresses.size(), 1u);
  EXPECT_EQ(tres.addresses[0].str(), "198.51.100.7");
  EXPECT_EQ(dns_query(a.path, *info.gateway4, "nothing.example", dns::kTypeA).rcode, dns::kNxDomain);
  EXPECT_GE(upstream_->queries(), 3);
}

TEST_F(NetworkTest, PerContainerDnsServersAndDeadUpstreamGiveServfail) {
  auto info = nm_->ensure(spec("default"));
  auto& a = box("a");
  auto r = req("a", a, {"a"});
  r.dns_servers = {"127.0.0.1:1"};  // nothing listens there: connection refused -> SERVFAIL
  nm_->attach(info.name, r);
  auto res = dns_query(a.path, *info.gateway4, "www.upstream.test", dns::kTypeA);
  EXPECT_EQ(res.rcode, dns::kServFail);
  EXPECT_EQ(upstream_->queries(), 0);
  // its own names still resolve locally
  EXPECT_EQ(dns_query(a.path, *info.gateway4, "a", dns::kTypeA).addresses.size(), 1u);
}

TEST_F(NetworkTest, TwoProjectsWithTheSameNamesStayApart) {
  auto p1 = nm_->ensure(spec("p1_default"));
  auto p2 = nm_->ensure(spec("p2_default"));
  EXPECT_FALSE(p1.subnet4->overlaps(*p2.subnet4));
  EXPECT_NE(p1.bridge, p2.bridge);
  auto& web1 = box("web1");
  auto& db1 = box("db1");
  auto& db2 = box("db2");
  nm_->attach(p1.name, req("web1", web1, {"web"}));
  auto d1 = nm_->attach(p1.name, req("db1", db1, {"db"}));
  auto d2 = nm_->attach(p2.name, req("db2", db2, {"db"}));
  auto res = dns_query(web1.path, *p1.gateway4, "db", dns::kTypeA);
  ASSERT_EQ(res.addresses.size(), 1u);
  EXPECT_EQ(res.addresses[0].str(), d1.ipv4);
  // and the other project's container is not reachable from this one
  BannerServer s2(db2.path, 7000, "p2");
  BannerServer s1(db1.path, 7000, "p1");
  EXPECT_EQ(tcp_fetch(web1.path, IpAddress::parse(d1.ipv4), 7000).value_or(""), "p1");
  EXPECT_FALSE(tcp_fetch(web1.path, IpAddress::parse(d2.ipv4), 7000, 500).has_value());
}

TEST_F(NetworkTest, SeveralNetworksPerContainerGetEth0AndEth1) {
  auto front = nm_->ensure(spec("front"));
  auto back = nm_->ensure(spec("back"));
  auto& app = box("app");
  auto& db = box("db");
  auto a0 = nm_->attach(front.name, req("app", app, {"app"}));
  auto a1 = nm_->attach(back.name, req("app", app, {"app", "app-backend"}));
  auto d = nm_->attach(back.name, req("db", db, {"db"}));
  EXPECT_EQ(a0.interface, "eth0");
  EXPECT_EQ(a1.interface, "eth1");
  auto atts = nm_->attachments("app-" + tag_);
  ASSERT_EQ(atts.size(), 2u);
  EXPECT_EQ(atts[0].network, front.name);
  // app resolves db through the front gateway too (names of all its networks)
  auto res = dns_query(app.path, *front.gateway4, "db", dns::kTypeA);
  ASSERT_EQ(res.addresses.size(), 1u);
  EXPECT_EQ(res.addresses[0].str(), d.ipv4);
  // db (back only) sees app's backend address
  auto res2 = dns_query(db.path, *back.gateway4, "app-backend", dns::kTypeA);
  ASSERT_EQ(res2.addresses.size(), 1u);
  EXPECT_EQ(res2.addresses[0].str(), a1.ipv4);
}

TEST_F(NetworkTest, LeaseSurvivesARestartAndStaticAddressIsHonoured) {
  auto s = spec("default");
  s.ipam.push_back({network::Subnet::parse("10.203.251.0/24"), IpAddress::parse("10.203.251.254"), std::nullopt});
  auto info = nm_->ensure(s);
  EXPECT_EQ(info.gateway4->str(), "10.203.251.254");
  std::string ip1;
  {
    NetnsBox b1(root_.paths.runtime / "netns" / "r1");
    ip1 = nm_->attach(info.name, req("web", b1, {"web"})).ipv4;
    nm_->detach_all("web-" + tag_);
  }
  NetnsBox b2(root_.paths.runtime / "netns" / "r2");
  auto& other = box("other");
  auto o = nm_->attach(info.name, req("other", other, {"other"}));
  EXPECT_NE(o.ipv4, ip1);  // the stopped container's lease is kept
  EXPECT_EQ(nm_->attach(info.name, req("web", b2, {"web"})).ipv4, ip1);

  auto& st = box("static");
  auto r = req("static", st, {"static"});
  r.ipv4 = IpAddress::parse("10.203.251.77");
  EXPECT_EQ(nm_->attach(info.name, r).ipv4, "10.203.251.77");
  nm_->release("web-" + tag_);
  EXPECT_TRUE(nm_->attachments("web-" + tag_).empty());
}

TEST_F(NetworkTest, InternalNetworkHasNoRouteOut) {
  auto s = spec("internal");
  s.internal = true;
  auto info = nm_->ensure(s);
  auto& a = box("a");
  auto& b = box("b");
  auto att = nm_->attach(info.name, req("a", a, {"a"}));
  auto bt = nm_->attach(info.name, req("b", b, {"b"}));
  EXPECT_TRUE(att.gateway4.empty());
  auto inside = network::Netlink::in_netns(a.fd.get());
  for (const auto& rt : inside.routes()) EXPECT_NE(rt.dst.prefix(), 0) << "default route in an internal network";
  DummyInterface outside("btd" + tag_, "198.18.77.1/32");
  BannerServer host_server("", 0, "host", false, "198.18.77.1");
  int err = 0;
  EXPECT_FALSE(tcp_fetch(a.path, IpAddress::parse("198.18.77.1"), host_server.port(), 500, &err).has_value());
  EXPECT_EQ(err, ENETUNREACH);
  // peers on the same internal network still talk, and resolve each other
  BannerServer peer(b.path, 8080, "peer");
  EXPECT_EQ(tcp_fetch(a.path, IpAddress::parse(bt.ipv4), 8080).value_or(""), "peer");
  EXPECT_EQ(dns_query(a.path, *info.gateway4, "b", dns::kTypeA).addresses.size(), 1u);
}

TEST_F(NetworkTest, Ipv6NetworkGivesAaaaAndConnectivity) {
  auto s = spec("v6");
  s.enable_ipv6 = true;
  auto info = nm_->ensure(s);
  ASSERT_TRUE(info.subnet6);
  auto& a = box("a");
  auto& b = box("b");
  nm_->attach(info.name, req("a", a, {"a"}));
  auto bt = nm_->attach(info.name, req("b", b, {"b"}));
  ASSERT_FALSE(bt.ipv6.empty());
  auto res = dns_query(a.path, *info.gateway4, "b", dns::kTypeAAAA);
  ASSERT_EQ(res.addresses.size(), 1u);
  EXPECT_EQ(res.addresses[0].str(), bt.ipv6);
  // and via the IPv6 gateway listener
  EXPECT_EQ(dns_query(a.path, *info.gateway6, "b", dns::kTypeA).addresses.size(), 1u);
  BannerServer peer(b.path, 9090, "v6peer");
  EXPECT_EQ(tcp_fetch(a.path, IpAddress::parse(bt.ipv6), 9090).value_or(""), "v6peer");
}

TEST_F(NetworkTest, ExternalNetworkMustExist) {
  auto s = spec("shared");
  s.external = true;
  try {
    nm_->ensure(s);
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("declared as external, but could not be found"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(nm_->list().empty());
  s.external = false;
  nm_->ensure(s);
  s.external = true;
  EXPECT_EQ(nm_->ensure(s).name, s.name);
}

}  // namespace
}  // namespace berth::test
