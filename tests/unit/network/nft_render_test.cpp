// The rules a network's nftables tables are rendered with: the loopback guard of the inet table
// (CVE-2020-8558) and the bridge-family anti-spoofing guard of its container ports. The kernel
// side (that the rules load and do what they say) is tested in tests/integration/network.
#include <gtest/gtest.h>

#include <string>

#include "network/naming.hpp"
#include "network/nft.hpp"

namespace berth::network {
namespace {

Endpoint endpoint(const std::string& id, const std::string& veth, const std::string& mac, const char* ip4,
                  const char* ip6 = nullptr, bool active = true) {
  Endpoint e;
  e.container_id = id;
  e.host_veth = veth;
  e.mac = mac;
  if (ip4) e.ipv4 = IpAddress::parse(ip4);
  if (ip6) e.ipv6 = IpAddress::parse(ip6);
  e.active = active;
  return e;
}

NetworkRecord record() {
  NetworkRecord r;
  r.name = "p_default";
  r.id = std::string(64, 'a');
  r.bridge = "brt-0123456789a";
  r.subnet4 = Subnet::parse("10.200.3.0/24");
  r.gateway4 = IpAddress::parse("10.200.3.1");
  r.endpoints["c1"] = endpoint("c1", "vb-111111111111", "02:42:0a:c8:03:02", "10.200.3.2");
  r.endpoints["c2"] = endpoint("c2", "vb-222222222222", "02:42:0a:c8:03:03", "10.200.3.3", "fd62:6572:7468::3");
  r.endpoints["c3"] = endpoint("c3", "vb-333333333333", "02:42:0a:c8:03:04", "10.200.3.4", nullptr, false);
  return r;
}

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

TEST(NftRender, InetTableDropsLoopbackAddressesFromTheBridgeBeforeConntrack) {
  std::string t = render_network_table(record());
  auto chain = t.find("chain loopback {");
  ASSERT_NE(chain, std::string::npos) << t;
  std::string body = t.substr(chain, t.find('}', chain) - chain);
  EXPECT_TRUE(has(body, "type filter hook prerouting priority raw;")) << body;
  EXPECT_TRUE(has(body, "iifname \"brt-0123456789a\" ip daddr 127.0.0.0/8 drop")) << body;
  EXPECT_TRUE(has(body, "iifname \"brt-0123456789a\" ip saddr 127.0.0.0/8 drop")) << body;
  EXPECT_TRUE(has(body, "iifname \"brt-0123456789a\" ip6 daddr ::1 drop")) << body;
  EXPECT_TRUE(has(body, "iifname \"brt-0123456789a\" ip6 saddr ::1 drop")) << body;
  // The host's own 127.0.0.1:PORT still goes out masqueraded (its replies are not 127/8).
  EXPECT_TRUE(has(t, "oifname \"brt-0123456789a\" ip saddr 127.0.0.0/8 masquerade")) << t;
}

TEST(NftRender, GuardTablePinsEveryActivePortAndOnlyThose) {
  auto rec = record();
  std::string t = render_guard_table(rec);
  EXPECT_TRUE(has(t, "table bridge berth-brt-0123456789a {")) << t;
  EXPECT_TRUE(has(t, "\"vb-111111111111\" . 02:42:0a:c8:03:02")) << t;
  EXPECT_TRUE(has(t, "\"vb-111111111111\" . 10.200.3.2")) << t;
  EXPECT_TRUE(has(t, "\"vb-222222222222\" . 02:42:0a:c8:03:03")) << t;
  EXPECT_TRUE(has(t, "\"vb-222222222222\" . fd62:6572:7468::3")) << t;
  EXPECT_TRUE(has(t, "\"vb-222222222222\" . 0xfd626572746800000000000000000003")) << t;
  // An inactive endpoint (stopped container) has no pins: its port, if any, sends nothing.
  EXPECT_FALSE(has(t, "vb-333333333333")) << t;
  EXPECT_FALSE(has(t, "10.200.3.4")) << t;
}

TEST(NftRender, GuardTableMatchesTheNetworksPortsByInterfaceGroup) {
  auto rec = record();
  std::string t = render_guard_table(rec);
  EXPECT_TRUE(has(t, "type filter hook prerouting priority -300; policy accept;")) << t;
  EXPECT_TRUE(has(t, "iifgroup " + std::to_string(interface_group(rec.bridge)) + " jump port")) << t;
}

TEST(NftRender, GuardChainDropsWhatAPortMayNotClaim) {
  std::string t = render_guard_table(record());
  auto chain = t.find("chain port {");
  ASSERT_NE(chain, std::string::npos) << t;
  std::string body = t.substr(chain);
  for (const char* rule : {
           "iifname . ether saddr != @port_mac drop",
           "ether type != { ip, ip6, arp } drop",
           "arp htype != 1 drop",
           "arp ptype != ip drop",
           "iifname . arp saddr ether != @port_mac drop",
           "arp saddr ip != 0.0.0.0 iifname . arp saddr ip != @port_ip4 drop",
           "iifname . ip saddr != @port_ip4 drop",
           "ip6 saddr != { ::, fe80::/10 } iifname . ip6 saddr != @port_ip6 drop",
           "icmpv6 type { nd-router-advert, nd-redirect } drop",
           "icmpv6 type nd-neighbor-advert @th,64,16 != 0xfe80 iifname . @th,64,128 != @port_nd drop",
       })
    EXPECT_TRUE(has(body, rule)) << rule << "\n" << body;
  // The MAC pin comes first: nothing else is looked at for a frame from a foreign MAC.
  EXPECT_LT(body.find("ether saddr != @port_mac"), body.find("ether type !="));
}

TEST(NftRender, ElementCommandsAddAndDeleteOneEndpointsPins) {
  auto rec = record();
  std::string add = guard_element_commands("add", rec, rec.endpoints["c2"]);
  EXPECT_EQ(add,
            "add element bridge berth-brt-0123456789a port_mac { \"vb-222222222222\" . 02:42:0a:c8:03:03 }\n"
            "add element bridge berth-brt-0123456789a port_ip4 { \"vb-222222222222\" . 10.200.3.3 }\n"
            "add element bridge berth-brt-0123456789a port_ip6 { \"vb-222222222222\" . fd62:6572:7468::3 }\n"
            "add element bridge berth-brt-0123456789a port_nd { \"vb-222222222222\" . "
            "0xfd626572746800000000000000000003 }\n");
  std::string del = guard_element_commands("delete", rec, rec.endpoints["c1"]);
  EXPECT_EQ(del,
            "delete element bridge berth-brt-0123456789a port_mac { \"vb-111111111111\" . 02:42:0a:c8:03:02 }\n"
            "delete element bridge berth-brt-0123456789a port_ip4 { \"vb-111111111111\" . 10.200.3.2 }\n");
}

TEST(NftRender, ReplaceCommandsReplaceBothFamiliesInOneTransaction) {
  std::string c = replace_table_commands(record());
  EXPECT_TRUE(has(c, "add table inet berth-brt-0123456789a\ndelete table inet berth-brt-0123456789a\n")) << c;
  EXPECT_TRUE(has(c, "add table bridge berth-brt-0123456789a\ndelete table bridge berth-brt-0123456789a\n")) << c;
  EXPECT_TRUE(has(c, "table inet berth-brt-0123456789a {")) << c;
  EXPECT_TRUE(has(c, "table bridge berth-brt-0123456789a {")) << c;
}

TEST(NftRender, InterfaceGroupIsStableNonZeroAndPerBridge) {
  EXPECT_EQ(interface_group("brt-0123456789a"), interface_group("brt-0123456789a"));
  EXPECT_NE(interface_group("brt-0123456789a"), interface_group("brt-0123456789b"));
  EXPECT_NE(interface_group("brt-0123456789a"), 0u);
  EXPECT_LT(interface_group("brt-0123456789a"), 0x20000000u);
}

}  // namespace
}  // namespace berth::network
