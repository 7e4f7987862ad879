#include "network/netlink.hpp"

#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include <cstdio>
#include <utility>

#include "base/error.hpp"
#include "base/netns.hpp"

namespace berth::network {
namespace {

int nl_errno(int nlerr) {
  switch (nlerr < 0 ? -nlerr : nlerr) {
    case NLE_EXIST: return EEXIST;
    case NLE_NODEV: return ENODEV;
    case NLE_OBJ_NOTFOUND: return ENOENT;
    case NLE_PERM: return EPERM;
    case NLE_INVAL: return EINVAL;
    case NLE_BUSY: return EBUSY;
    case NLE_NOMEM: return ENOMEM;
    case NLE_RANGE: return ERANGE;
    case NLE_OPNOTSUPP: return EOPNOTSUPP;
    case NLE_NOADDR: return EADDRNOTAVAIL;
    case NLE_AGAIN: return EAGAIN;
    case NLE_NOACCESS: return EACCES;
    default: return EIO;
  }
}

[[noreturn]] void fail(int nlerr, const std::string& op, const std::string& subject) {
  int e = nl_errno(nlerr);
  // libnl folds many kernel errors into generic codes: keep its text when there is no errno match.
  if (e == EIO) throw_sys(e, op + " (" + nl_geterror(nlerr) + ")", subject);
  throw_sys(e, op, subject);
}

template <class T, void (*Free)(T*)>
struct Ptr {
  T* p = nullptr;
  Ptr() = default;
  explicit Ptr(T* x) : p(x) {}
  Ptr(const Ptr&) = delete;
  ~Ptr() {
    if (p) Free(p);
  }
  T* get() const { return p; }
  T** out() { return &p; }
};
using LinkPtr = Ptr<rtnl_link, rtnl_link_put>;
using AddrPtr = Ptr<rtnl_addr, rtnl_addr_put>;
using RoutePtr = Ptr<rtnl_route, rtnl_route_put>;
using NlAddrPtr = Ptr<nl_addr, nl_addr_put>;
using CachePtr = Ptr<nl_cache, nl_cache_free>;

nl_addr* to_nl_addr(const IpAddress& a, int prefix) {
  nl_addr* n = nl_addr_build(a.is_v4() ? AF_INET : AF_INET6, a.bytes(), a.is_v4() ? 4 : 16);
  if (!n) throw_sys(ENOMEM, "nl_addr_build", a.str());
  nl_addr_set_prefixlen(n, prefix);
  return n;
}

nl_sock* connect_socket() {
  nl_sock* sk = nl_socket_alloc();
  if (!sk) throw_sys(ENOMEM, "nl_socket_alloc", "rtnetlink");
  if (int err = nl_connect(sk, NETLINK_ROUTE); err < 0) {
    nl_socket_free(sk);
    fail(err, "nl_connect", "rtnetlink");
  }
  return sk;
}

}  // namespace

std::string mac_str(const Mac& m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

Mac parse_mac(const std::string& text) {
  Mac m{};
  unsigned v[6];
  char extra;
  if (std::sscanf(text.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                  &extra) != 6)
    throw UserError("invalid MAC address \"" + text + "\"");
  for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(v[i]);
  if (m[0] & 1) throw UserError("invalid MAC address \"" + text + "\": multicast bit set");
  return m;
}

Netlink::Netlink() : sk_(connect_socket()) {}

Netlink Netlink::in_netns(int ns_fd) {
  ScopedNetns enter(ns_fd);
  return Netlink(connect_socket());
}

Netlink::~Netlink() {
  if (sk_) nl_socket_free(sk_);
}
Netlink::Netlink(Netlink&& o) noexcept : sk_(std::exchange(o.sk_, nullptr)) {}
Netlink& Netlink::operator=(Netlink&& o) noexcept {
  if (this != &o) {
    if (sk_) nl_socket_free(sk_);
    sk_ = std::exchange(o.sk_, nullptr);
  }
  return *this;
}

std::optional<int> Netlink::ifindex(const std::string& name) {
  LinkPtr link;
  int err = rtnl_link_get_kernel(sk_, 0, name.c_str(), link.out());
  if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return std::nullopt;
  if (err < 0) fail(err, "get link", name);
  return rtnl_link_get_ifindex(link.get());
}

std::optional<int> Netlink::link_mtu(const std::string& name) {
  LinkPtr link;
  int err = rtnl_link_get_kernel(sk_, 0, name.c_str(), link.out());
  if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return std::nullopt;
  if (err < 0) fail(err, "get link", name);
  return static_cast<int>(rtnl_link_get_mtu(link.get()));
}

std::optional<std::string> Netlink::link_name(int index) {
  LinkPtr link;
  int err = rtnl_link_get_kernel(sk_, index, nullptr, link.out());
  if (err < 0) return std::nullopt;
  const char* n = rtnl_link_get_name(link.get());
  return n ? std::optional<std::string>(n) : std::nullopt;
}

std::vector<std::string> Netlink::link_names() {
  CachePtr cache;
  if (int err = rtnl_link_alloc_cache(sk_, AF_UNSPEC, cache.out()); err < 0) fail(err, "dump links", "");
  std::vector<std::string> names;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o))
    if (const char* n = rtnl_link_get_name(reinterpret_cast<rtnl_link*>(o))) names.emplace_back(n);
  return names;
}

void Netlink::create_bridge(const std::string& name, int mtu, const Mac& mac) {
  LinkPtr link(rtnl_link_bridge_alloc());
  if (!link.get()) throw_sys(ENOMEM, "rtnl_link_bridge_alloc", name);
  rtnl_link_set_name(link.get(), name.c_str());
  rtnl_link_set_mtu(link.get(), static_cast<unsigned>(mtu));
  NlAddrPtr lladdr(nl_addr_build(AF_LLC, mac.data(), mac.size()));
  rtnl_link_set_addr(link.get(), lladdr.get());
  rtnl_link_set_flags(link.get(), IFF_UP);
  if (int err = rtnl_link_add(sk_, link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    fail(err, "create bridge", name);
}

bool Netlink::delete_link(const std::string& name) {
  LinkPtr link(rtnl_link_alloc());
  rtnl_link_set_name(link.get(), name.c_str());
  int err = rtnl_link_delete(sk_, link.get());
  if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return false;
  if (err < 0) fail(err, "delete link", name);
  return true;
}

void Netlink::set_up(const std::string& name) {
  LinkPtr orig;
  if (int err = rtnl_link_get_kernel(sk_, 0, name.c_str(), orig.out()); err < 0) fail(err, "get link", name);
  LinkPtr change(rtnl_link_alloc());
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(sk_, orig.get(), change.get(), 0); err < 0) fail(err, "set link up", name);
}

void Netlink::create_veth(const std::string& host_name, int bridge_ifindex, int mtu,
                          const std::string& peer_name, int peer_ns_fd, const Mac& peer_mac, uint32_t group) {
  LinkPtr link(rtnl_link_veth_alloc());
  if (!link.get()) throw_sys(ENOMEM, "rtnl_link_veth_alloc", host_name);
  rtnl_link_set_name(link.get(), host_name.c_str());
  rtnl_link_set_master(link.get(), bridge_ifindex);
  rtnl_link_set_mtu(link.get(), static_cast<unsigned>(mtu));
  rtnl_link_set_flags(link.get(), IFF_UP);
  if (group) rtnl_link_set_group(link.get(), group);
  LinkPtr peer(rtnl_link_veth_get_peer(link.get()));
  rtnl_link_set_name(peer.get(), peer_name.c_str());
  rtnl_link_set_ns_fd(peer.get(), peer_ns_fd);
  rtnl_link_set_mtu(peer.get(), static_cast<unsigned>(mtu));
  NlAddrPtr lladdr(nl_addr_build(AF_LLC, peer_mac.data(), peer_mac.size()));
  rtnl_link_set_addr(peer.get(), lladdr.get());
  // No IFF_UP on the peer: the kernel refuses it at creation (ENOTCONN); set_up() it inside.
  if (int err = rtnl_link_add(sk_, link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    fail(err, "create veth", host_name + " (peer " + peer_name + ")");
}

void Netlink::set_hairpin(const std::string& port) {
  auto index = ifindex(port);
  if (!index) throw_sys(ENODEV, "set hairpin", port);
  // What `bridge link set dev PORT hairpin on` sends: RTM_SETLINK, family AF_BRIDGE, the port
  // flags nested in IFLA_PROTINFO.
  Ptr<nl_msg, nlmsg_free> msg(nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK));
  if (!msg.get()) throw_sys(ENOMEM, "nlmsg_alloc", port);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_BRIDGE;
  ifi.ifi_index = *index;
  nlattr* info = nullptr;
  if (nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
      !(info = nla_nest_start(msg.get(), IFLA_PROTINFO | NLA_F_NESTED)) ||
      nla_put_u8(msg.get(), IFLA_BRPORT_MODE, 1) < 0)
    throw_sys(ENOMEM, "build hairpin request", port);
  nla_nest_end(msg.get(), info);
  int err = nl_send_auto(sk_, msg.get());
  if (err >= 0) err = nl_wait_for_ack(sk_);
  if (err < 0) fail(err, "set hairpin", port);
}

void Netlink::add_address(const std::string& ifname, const IpAddress& a, int prefix) {
  auto index = ifindex(ifname);
  if (!index) throw_sys(ENODEV, "add address", ifname);
  AddrPtr addr(rtnl_addr_alloc());
  rtnl_addr_set_ifindex(addr.get(), *index);
  NlAddrPtr local(to_nl_addr(a, prefix));
  rtnl_addr_set_local(addr.get(), local.get());
  rtnl_addr_set_prefixlen(addr.get(), prefix);
  if (a.is_v6()) {
    rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  } else if (prefix < 31) {
    Subnet net(a, prefix);
    NlAddrPtr bcast(to_nl_addr(net.broadcast(), prefix));
    rtnl_addr_set_broadcast(addr.get(), bcast.get());
  }
  int err = rtnl_addr_add(sk_, addr.get(), 0);
  if (err == -NLE_EXIST) return;
  if (err < 0) fail(err, "add address " + a.str() + "/" + std::to_string(prefix), ifname);
}

bool Netlink::add_default_route(const IpAddress& gw, const std::string& ifname) {
  auto index = ifindex(ifname);
  if (!index) throw_sys(ENODEV, "add route", ifname);
  RoutePtr route(rtnl_route_alloc());
  int family = gw.is_v4() ? AF_INET : AF_INET6;
  rtnl_route_set_family(route.get(), static_cast<uint8_t>(family));
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  IpAddress any = gw.is_v4() ? IpAddress::parse("0.0.0.0") : IpAddress::parse("::");
  NlAddrPtr dst(to_nl_addr(any, 0));
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  NlAddrPtr gwaddr(to_nl_addr(gw, gw.bits()));
  rtnl_route_nh_set_gateway(nh, gwaddr.get());
  rtnl_route_nh_set_ifindex(nh, *index);
  rtnl_route_add_nexthop(route.get(), nh);  // the route owns nh now
  int err = rtnl_route_add(sk_, route.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err == -NLE_EXIST) return false;
  if (err < 0) fail(err, "add default route via " + gw.str(), ifname);
  return true;
}

std::vector<HostRoute> Netlink::routes() {
  CachePtr cache;
  if (int err = rtnl_route_alloc_cache(sk_, AF_UNSPEC, 0, cache.out()); err < 0) fail(err, "dump routes", "");
  std::vector<HostRoute> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    nl_addr* dst = rtnl_route_get_dst(r);
    int family = rtnl_route_get_family(r);
    if (family != AF_INET && family != AF_INET6) continue;
    auto fam = family == AF_INET ? IpAddress::Family::V4 : IpAddress::Family::V6;
    HostRoute hr;
    uint8_t zero[16] = {};
    if (dst && nl_addr_get_len(dst) > 0)
      hr.dst = Subnet(IpAddress::from_bytes(fam, nl_addr_get_binary_addr(dst)),
                      static_cast<int>(nl_addr_get_prefixlen(dst)));
    else
      hr.dst = Subnet(IpAddress::from_bytes(fam, zero), 0);
    if (rtnl_route_get_nnexthops(r) > 0) hr.ifindex = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, 0));
    // Multicast, broadcast and link-local table entries say nothing about reachable subnets.
    uint8_t type = rtnl_route_get_type(r);
    if (type == RTN_MULTICAST || type == RTN_BROADCAST) continue;
    if (fam == IpAddress::Family::V6 && hr.dst.prefix() > 0 && hr.dst.network().bytes()[0] == 0xfe &&
        (hr.dst.network().bytes()[1] & 0xc0) == 0x80)
      continue;
    if (fam == IpAddress::Family::V6 && hr.dst.network().bytes()[0] == 0xff) continue;
    out.push_back(hr);
  }
  return out;
}

std::vector<HostAddress> Netlink::addresses() {
  CachePtr cache;
  if (int err = rtnl_addr_alloc_cache(sk_, cache.out()); err < 0) fail(err, "dump addresses", "");
  std::vector<HostAddress> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    nl_addr* local = rtnl_addr_get_local(a);
    int family = rtnl_addr_get_family(a);
    if (!local || (family != AF_INET && family != AF_INET6)) continue;
    auto fam = family == AF_INET ? IpAddress::Family::V4 : IpAddress::Family::V6;
    out.push_back({IpAddress::from_bytes(fam, nl_addr_get_binary_addr(local)), rtnl_addr_get_prefixlen(a),
                   rtnl_addr_get_ifindex(a)});
  }
  return out;
}

std::optional<int> Netlink::default_route_ifindex() {
  CachePtr cache;
  if (int err = rtnl_route_alloc_cache(sk_, AF_INET, 0, cache.out()); err < 0) fail(err, "dump routes", "");
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN) continue;
    nl_addr* dst = rtnl_route_get_dst(r);
    if (dst && nl_addr_get_prefixlen(dst) != 0) continue;
    if (rtnl_route_get_nnexthops(r) > 0) return rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, 0));
  }
  return std::nullopt;
}

}  // namespace berth::network
