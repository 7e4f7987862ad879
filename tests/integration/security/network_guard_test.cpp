// What a container with CAP_NET_RAW (a default capability) can put on its network, and what it
// must not reach with it: the host's loopback services (CVE-2020-8558: the bridges have
// route_localnet), another container's address or MAC (ARP/IP spoofing on the bridge), another
// project's network. The "containers" are network namespaces; the attacker's frames are written
// by hand on a packet socket inside one, as a container's process could.
//
// Every test runs in a FRESH network namespace of its own (the "host" here): the bridges, nft
// tables, host sockets bound to 127.0.0.1 and sysctls berth sets are all in it, so nothing of the
// machine's own network namespace is used or changed; TearDown checks that nothing is left.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>

#include "base/netns.hpp"
#include "tests/integration/network/net_fixture.hpp"

namespace berth::test {
namespace {

using network::IpAddress;
using network::Mac;

const IpAddress kLoopback = IpAddress::parse("127.0.0.1");
const Mac kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// ---- frames --------------------------------------------------------------------------------

void put16(std::string& s, uint16_t v) {
  s.push_back(static_cast<char>(v >> 8));
  s.push_back(static_cast<char>(v & 0xff));
}
void put_bytes(std::string& s, const uint8_t* p, size_t n) { s.append(reinterpret_cast<const char*>(p), n); }

uint16_t checksum(const std::string& data, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < data.size(); i += 2)
    sum += static_cast<uint32_t>(static_cast<uint8_t>(data[i]) << 8 | static_cast<uint8_t>(data[i + 1]));
  if (data.size() % 2) sum += static_cast<uint32_t>(static_cast<uint8_t>(data.back()) << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

std::string ether(const Mac& dst, const Mac& src, uint16_t type, const std::string& payload) {
  std::string f;
  put_bytes(f, dst.data(), 6);
  put_bytes(f, src.data(), 6);
  put16(f, type);
  return f + payload;
}

std::string ipv4(const IpAddress& src, const IpAddress& dst, uint8_t proto, const std::string& l4) {
  std::string h;
  h.push_back(0x45);
  h.push_back(0);
  put16(h, static_cast<uint16_t>(20 + l4.size()));
  put16(h, 0x1234);
  put16(h, 0x4000);  // DF
  h.push_back(64);
  h.push_back(static_cast<char>(proto));
  put16(h, 0);
  put_bytes(h, src.bytes(), 4);
  put_bytes(h, dst.bytes(), 4);
  uint16_t c = checksum(h);
  h[10] = static_cast<char>(c >> 8);
  h[11] = static_cast<char>(c & 0xff);
  return h + l4;
}

std::string udp(const IpAddress& src, const IpAddress& dst, uint16_t sport, uint16_t dport, const std::string& data) {
  std::string u;
  put16(u, sport);
  put16(u, dport);
  put16(u, static_cast<uint16_t>(8 + data.size()));
  put16(u, 0);  // no checksum (IPv4)
  return ipv4(src, dst, IPPROTO_UDP, u + data);
}

std::string tcp_syn(const IpAddress& src, const IpAddress& dst, uint16_t sport, uint16_t dport) {
  std::string t;
  put16(t, sport);
  put16(t, dport);
  put16(t, 0x0102);
  put16(t, 0x0304);  // sequence number
  put16(t, 0);
  put16(t, 0);       // ack
  put16(t, 0x5002);  // header length 5 words, SYN
  put16(t, 64240);   // window
  put16(t, 0);       // checksum
  put16(t, 0);       // urgent
  std::string pseudo;
  put_bytes(pseudo, src.bytes(), 4);
  put_bytes(pseudo, dst.bytes(), 4);
  put16(pseudo, IPPROTO_TCP);
  put16(pseudo, static_cast<uint16_t>(t.size()));
  uint16_t c = checksum(pseudo + t);
  t[16] = static_cast<char>(c >> 8);
  t[17] = static_cast<char>(c & 0xff);
  return ipv4(src, dst, IPPROTO_TCP, t);
}

// An Ethernet/IPv4 ARP packet; `trailer` goes after it (as padding) so a capture can spot it.
std::string arp(uint16_t op, const Mac& sha, const IpAddress& spa, const Mac& tha, const IpAddress& tpa,
                const std::string& trailer) {
  std::string a;
  put16(a, 1);
  put16(a, ETH_P_IP);
  a.push_back(6);
  a.push_back(4);
  put16(a, op);
  put_bytes(a, sha.data(), 6);
  put_bytes(a, spa.bytes(), 4);
  put_bytes(a, tha.data(), 6);
  put_bytes(a, tpa.bytes(), 4);
  return a + trailer;
}

// ---- sockets -------------------------------------------------------------------------------

// Writes a whole frame on `ifname` of the namespace `netns`, as a process there with CAP_NET_RAW.
void send_frame(const NetnsBox& box, const std::string& frame, const std::string& ifname = "eth0") {
  UniqueFd fd = socket_in(box.path, AF_PACKET, SOCK_RAW);
  ASSERT_TRUE(fd) << std::strerror(errno);
  auto index = network::Netlink::in_netns(box.fd.get()).ifindex(ifname);
  ASSERT_TRUE(index.has_value());
  sockaddr_ll sa{};
  sa.sll_family = AF_PACKET;
  sa.sll_ifindex = *index;
  sa.sll_halen = 6;
  std::memcpy(sa.sll_addr, frame.data(), 6);
  ASSERT_EQ(::sendto(fd.get(), frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa),
            static_cast<ssize_t>(frame.size()))
      << std::strerror(errno);
}

// Every frame that reaches the namespace's interfaces (all protocols), from its creation on.
UniqueFd capture_in(const NetnsBox& box) {
  UniqueFd ns = open_netns(box.path);
  ScopedNetns enter(ns.get());
  return UniqueFd(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
}

// Whether a frame for which `match(frame, length)` holds arrives within `ms` (others are skipped).
bool frame_arrives(int fd, int ms, const std::function<bool(const unsigned char*, size_t)>& match) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  unsigned char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0 && match(buf, static_cast<size_t>(n))) return true;
  }
}

// Whether a frame containing `marker` arrives within `ms`.
bool captured(int fd, const std::string& marker, int ms) {
  return frame_arrives(fd, ms, [&](const unsigned char* b, size_t n) {
    return std::string(reinterpret_cast<const char*>(b), n).find(marker) != std::string::npos;
  });
}

// A TCP segment from source port `sport` arriving within `ms`.
bool tcp_from_port(int fd, uint16_t sport, int ms) {
  return frame_arrives(fd, ms, [&](const unsigned char* buf, size_t n) {
    if (n < 34 || buf[12] != 0x08 || buf[13] != 0x00 || buf[23] != IPPROTO_TCP) return false;
    size_t ihl = (buf[14] & 0x0f) * 4u;
    return n >= 14 + ihl + 4 && (buf[14 + ihl] << 8 | buf[15 + ihl]) == sport;
  });
}

// A UDP socket bound to ip:port in `netns` ("" = the test's namespace).
UniqueFd udp_bound(const std::string& netns, const IpAddress& ip, uint16_t port) {
  UniqueFd fd = socket_in(netns, AF_INET, SOCK_DGRAM);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  std::memcpy(&sa.sin_addr, ip.bytes(), 4);
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    throw std::runtime_error(std::string("bind ") + ip.str() + ": " + std::strerror(errno));
  return fd;
}

std::optional<std::string> datagram(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) <= 0) return std::nullopt;
  char buf[2048];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

// The MAC of a link of the test's namespace (the bridge: the gateway's MAC).
Mac link_mac(const std::string& name) {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd.get(), SIOCGIFHWADDR, &ifr) != 0) throw std::runtime_error("SIOCGIFHWADDR " + name);
  Mac m;
  std::memcpy(m.data(), ifr.ifr_hwaddr.sa_data, 6);
  return m;
}

// `ip neigh` of a namespace for one address ("" when none).
std::string neighbour(const NetnsBox& box, const IpAddress& ip) {
  std::string out;
  run_command("nsenter --net=" + box.path.string() + " ip neigh show " + ip.str(), &out);
  return out;
}

// The bridge port the bridge learnt `mac` on ("" when it did not).
std::string fdb_port(const std::string& bridge, const std::string& mac) {
  std::string out;
  run_command("bridge fdb show br " + bridge, &out);
  size_t pos = out.find(mac + " dev ");
  if (pos == std::string::npos) return "";
  pos += mac.size() + 5;
  return out.substr(pos, out.find(' ', pos) - pos);
}

// ---- the fixture ---------------------------------------------------------------------------

class Guard : public NetFixture {
 protected:
  void SetUp() override {
    if (::geteuid() == 0) {
      home_ = UniqueFd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
      ASSERT_TRUE(home_);
      ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << std::strerror(errno);
      network::Netlink().set_up("lo");
    }
    NetFixture::SetUp();
    if (IsSkipped()) return;
    // Host sysctls (ip_forward) are recorded and put back per namespace: keep the record of
    // this namespace apart from the machine's (/run/berth-net).
    auto o = test_options(upstream_->address());
    o.host_dir = root_.dir / "host-net";
    nm_ = std::make_unique<network::NetworkManager>(root_.paths, o);
  }
  void TearDown() override {
    NetFixture::TearDown();
    if (nm_) {
      // Everything berth made in this namespace was this test's: nothing of it may be left.
      for (const auto& t : network::list_berth_tables()) ADD_FAILURE() << "table " << t.family << " " << t.name << " left";
      EXPECT_EQ(host_links_with_prefix(network::kBridgePrefix), std::vector<std::string>{}) << "bridge left";
      // A veth goes with its container's namespace, reaped asynchronously by the kernel.
      for (int i = 0; i < 40 && !host_links_with_prefix(network::kVethPrefix).empty(); ++i) ::usleep(50000);
      EXPECT_EQ(host_links_with_prefix(network::kVethPrefix), std::vector<std::string>{}) << "veth left";
    }
    if (home_) {
      EXPECT_EQ(::setns(home_.get(), CLONE_NEWNET), 0) << std::strerror(errno);
    }
  }
  network::Attachment join(const network::NetworkInfo& n, const std::string& name, NetnsBox& b) {
    return nm_->attach(n.name, req(name, b));
  }

  UniqueFd home_;
};

// (a) The host's 127.0.0.1 services, CVE-2020-8558.
TEST_F(Guard, ContainerCannotReachHostLoopbackWhileA127PublishedPortWorks) {
  auto info = nm_->ensure(spec("lo"));
  const IpAddress gw = *info.gateway4;
  auto& atk = box("attacker");
  auto a = join(info, "attacker", atk);
  auto& web = box("web");
  join(info, "web", web);
  BannerServer server(web.path, 80, "web");
  uint16_t ports = free_ports(4);
  const uint16_t published = ports, lo_port = ports + 1, gw_port = ports + 2, tcp_port = ports + 3;
  nm_->publish(cid("web"), {{"127.0.0.1", published, 0, 80, "tcp"}});
  EXPECT_EQ(tcp_fetch("", kLoopback, published).value_or("<fail>"), "web");

  UniqueFd on_lo = udp_bound("", kLoopback, lo_port);
  UniqueFd on_gw = udp_bound("", gw, gw_port);
  BannerServer lo_tcp("", tcp_port, "secret", false, "127.0.0.1");
  const Mac gw_mac = link_mac(info.bridge), me = network::parse_mac(a.mac);
  const IpAddress my = IpAddress::parse(a.ipv4);
  auto to = [&](const IpAddress& src, const IpAddress& dst, uint16_t port, const std::string& data) {
    return ether(gw_mac, me, ETH_P_IP, udp(src, dst, 40000, port, data));
  };

  // The attacker's frames are well made: to the gateway's own address one arrives.
  send_frame(atk, to(my, gw, gw_port, "control"));
  EXPECT_EQ(datagram(on_gw.get(), 2000).value_or("<nothing>"), "control");

  // To 127.0.0.1 through the gateway's MAC: nothing arrives, 3 times of 3.
  for (int i = 0; i < 3; ++i) send_frame(atk, to(my, kLoopback, lo_port, "escape"));
  EXPECT_FALSE(datagram(on_lo.get(), 1000).has_value());
  // Nor does a TCP SYN to a 127.0.0.1 listener get an answer.
  UniqueFd cap = capture_in(atk);
  send_frame(atk, ether(gw_mac, me, ETH_P_IP, tcp_syn(my, kLoopback, 40001, tcp_port)));
  EXPECT_FALSE(tcp_from_port(cap.get(), tcp_port, 1000));
  // A loopback SOURCE (a packet passing as the host's own) is dropped as well.
  send_frame(atk, to(kLoopback, gw, gw_port, "from-lo"));
  EXPECT_FALSE(datagram(on_gw.get(), 1000).has_value());

  // The loopback chain is what stops it: without it the frame reaches the host's 127.0.0.1
  // socket (the hole as it was); ensure() puts it back.
  network::nft_run("delete chain inet " + network::table_name(info.bridge) + " loopback");
  send_frame(atk, to(my, kLoopback, lo_port, "escape"));
  EXPECT_EQ(datagram(on_lo.get(), 2000).value_or("<nothing>"), "escape") << "the test no longer sees the hole";
  nm_->ensure(spec("lo"));
  send_frame(atk, to(my, kLoopback, lo_port, "escape"));
  EXPECT_FALSE(datagram(on_lo.get(), 1000).has_value());
  EXPECT_EQ(tcp_fetch("", kLoopback, published).value_or("<fail>"), "web");
}

// (b) One container claiming another's address or MAC.
TEST_F(Guard, ContainerCannotTakeAnotherContainersAddressOrMac) {
  auto info = nm_->ensure(spec("spoof"));
  auto& A = box("a");
  auto& B = box("b");
  auto& C = box("c");
  auto a = join(info, "a", A), b = join(info, "b", B), c = join(info, "c", C);
  const Mac amac = network::parse_mac(a.mac), bmac = network::parse_mac(b.mac), cmac = network::parse_mac(c.mac);
  const IpAddress aip = IpAddress::parse(a.ipv4), bip = IpAddress::parse(b.ipv4), cip = IpAddress::parse(c.ipv4);
  const std::string aveth = network::host_veth_name(info.id, cid("a")), bveth = network::host_veth_name(info.id, cid("b"));

  // C talks to B: C's ARP cache maps B's address to B's MAC; the bridge learnt B's MAC on B's port.
  BannerServer echo(B.path, 7, "b:", true);
  ASSERT_EQ(udp_roundtrip(C.path, bip, 7, "hi").value_or("<fail>"), "b:hi");
  EXPECT_NE(neighbour(C, bip).find(b.mac), std::string::npos) << neighbour(C, bip);
  EXPECT_EQ(fdb_port(info.bridge, b.mac), bveth);
  ::usleep(1200 * 1000);  // past the ARP locktime (1 s): an update would now be taken

  uint16_t port = free_ports();
  UniqueFd on_c = udp_bound(C.path, cip, port);
  UniqueFd cap = capture_in(C);
  auto attack = [&] {
    // Gratuitous ARP (reply and request) claiming B's address with A's MAC; one to C directly;
    // ARP with B's MAC as the Ethernet source (which would move B's MAC to A's port).
    send_frame(A, ether(kBroadcast, amac, ETH_P_ARP, arp(2, amac, bip, kBroadcast, bip, "garp-reply")));
    send_frame(A, ether(kBroadcast, amac, ETH_P_ARP, arp(1, amac, bip, Mac{}, bip, "garp-request")));
    send_frame(A, ether(cmac, amac, ETH_P_ARP, arp(2, amac, bip, cmac, cip, "arp-to-c")));
    send_frame(A, ether(kBroadcast, bmac, ETH_P_ARP, arp(2, amac, bip, kBroadcast, bip, "mac-spoof")));
    // IPv4 from B's address, with A's MAC and with B's.
    send_frame(A, ether(cmac, amac, ETH_P_IP, udp(bip, cip, 7, port, "ip-spoof")));
    send_frame(A, ether(cmac, bmac, ETH_P_IP, udp(bip, cip, 7, port, "ip-mac-spoof")));
    // A VLAN-tagged frame and another protocol (IPX over Ethernet II).
    send_frame(A, ether(cmac, amac, ETH_P_8021Q, std::string("\x00\x05\x08\x00", 4) + udp(aip, cip, 7, port, "vlan")));
    send_frame(A, ether(cmac, amac, 0x8137, "ipx-frame"));
  };
  attack();
  for (const char* marker : {"garp-reply", "garp-request", "arp-to-c", "mac-spoof", "ip-spoof", "vlan", "ipx-frame"})
    EXPECT_FALSE(captured(cap.get(), marker, 300)) << marker << " reached C";
  EXPECT_FALSE(datagram(on_c.get(), 300).has_value());
  std::string n = neighbour(C, bip);
  EXPECT_NE(n.find(b.mac), std::string::npos) << n;
  EXPECT_EQ(n.find(a.mac), std::string::npos) << n;
  EXPECT_EQ(fdb_port(info.bridge, b.mac), bveth);
  EXPECT_EQ(udp_roundtrip(C.path, bip, 7, "again").value_or("<fail>"), "b:again");

  // A's own, true traffic passes: the pins are not in the way.
  send_frame(A, ether(cmac, amac, ETH_P_IP, udp(aip, cip, 7, port, "honest")));
  EXPECT_EQ(datagram(on_c.get(), 2000).value_or("<nothing>"), "honest");

  // The guard table is what stops it: without it the spoofing works (B's address in C's cache
  // moves to A's MAC, the IP spoof arrives); ensure() brings it back with every pin.
  network::nft_run("delete table bridge " + network::table_name(info.bridge));
  attack();
  EXPECT_EQ(datagram(on_c.get(), 2000).value_or("<nothing>"), "ip-spoof") << "the test no longer sees the hole";
  // C's kernel takes the forged ARP in its own time (and ignores it within the 1 s locktime of
  // B's last update): repeat the attack for a while rather than read the cache once.
  std::string moved;
  for (int i = 0; i < 10 && (moved = neighbour(C, bip)).find(a.mac) == std::string::npos; ++i) {
    ::usleep(500 * 1000);
    attack();
  }
  EXPECT_NE(moved.find(a.mac), std::string::npos) << moved;
  // B's own frames (an ARP probe of its neighbour C) teach the bridge B's port again: read the
  // table right after an attack, a few times.
  std::string port_of_b;
  for (int i = 0; i < 10 && (port_of_b = fdb_port(info.bridge, b.mac)) != aveth; ++i) attack();
  EXPECT_EQ(port_of_b, aveth);
  nm_->ensure(spec("spoof"));
  while (datagram(on_c.get(), 200)) {
  }
  attack();
  EXPECT_FALSE(datagram(on_c.get(), 1000).has_value());
  send_frame(A, ether(cmac, amac, ETH_P_IP, udp(aip, cip, 7, port, "honest")));
  EXPECT_EQ(datagram(on_c.get(), 2000).value_or("<nothing>"), "honest");
}

// The pins come and go with the attach: a detached container's port sends nothing, a new
// container's MAC (compose `mac_address`) is the one pinned.
TEST_F(Guard, PinsFollowAttachDetachAndTheRequestedMac) {
  auto info = nm_->ensure(spec("pins"));
  auto& A = box("a");
  auto r = req("a", A);
  r.mac_address = "02:aa:bb:cc:dd:01";
  auto a = nm_->attach(info.name, r);
  EXPECT_EQ(a.mac, "02:aa:bb:cc:dd:01");
  const std::string table = "bridge " + network::table_name(info.bridge);
  const std::string veth = network::host_veth_name(info.id, cid("a"));
  std::string macs = network::nft_list("list set " + table + " port_mac");
  EXPECT_NE(macs.find("\"" + veth + "\" . 02:aa:bb:cc:dd:01"), std::string::npos) << macs;
  EXPECT_NE(network::nft_list("list set " + table + " port_ip4").find(a.ipv4), std::string::npos);
  // The host end is in the network's interface group.
  std::string link;
  run_command("ip -d link show " + veth, &link);
  EXPECT_NE(link.find("group " + std::to_string(network::interface_group(info.bridge))), std::string::npos) << link;

  nm_->detach(info.name, cid("a"));
  macs = network::nft_list("list set " + table + " port_mac");
  EXPECT_EQ(macs.find(veth), std::string::npos) << macs;
  EXPECT_EQ(network::nft_list("list set " + table + " port_ip4").find(veth), std::string::npos);

  // Attached again with another MAC: only the new one is pinned.
  r.mac_address = "02:aa:bb:cc:dd:02";
  nm_->attach(info.name, r);
  r.mac_address = "02:aa:bb:cc:dd:03";
  nm_->attach(info.name, r);
  macs = network::nft_list("list set " + table + " port_mac");
  EXPECT_NE(macs.find("02:aa:bb:cc:dd:03"), std::string::npos) << macs;
  EXPECT_EQ(macs.find("02:aa:bb:cc:dd:02"), std::string::npos) << macs;
  nm_->release(cid("a"));
  EXPECT_EQ(network::nft_list("list set " + table + " port_mac").find(veth), std::string::npos);
}

// (c) Another project's network.
TEST_F(Guard, ContainerCannotReachAnotherProjectsNetwork) {
  auto x = nm_->ensure(spec("projx_default"));
  auto y = nm_->ensure(spec("projy_default"));
  auto& X1 = box("x1");
  auto& Y1 = box("y1");
  auto& Y2 = box("y2");
  auto x1 = join(x, "x1", X1);
  auto y1 = join(y, "y1", Y1);
  join(y, "y2", Y2);
  const IpAddress y1ip = IpAddress::parse(y1.ipv4), x1ip = IpAddress::parse(x1.ipv4);
  BannerServer tcp(Y1.path, 80, "y1");
  BannerServer udp_echo(Y1.path, 53, "y1:", true);
  EXPECT_EQ(tcp_fetch(Y2.path, y1ip, 80).value_or("<fail>"), "y1");  // its own project reaches it

  int err = 0;
  EXPECT_FALSE(tcp_fetch(X1.path, y1ip, 80, 1000, &err).has_value());
  EXPECT_FALSE(udp_roundtrip(X1.path, y1ip, 53, "q", 1000).has_value());
  // Nor with a frame of its own making, routed through its gateway.
  UniqueFd cap = capture_in(Y1);
  send_frame(X1, ether(link_mac(x.bridge), network::parse_mac(x1.mac), ETH_P_IP, udp(x1ip, y1ip, 9, 53, "cross")));
  EXPECT_FALSE(captured(cap.get(), "cross", 1000));
}

}  // namespace
}  // namespace berth::test
