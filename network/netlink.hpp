#pragma once
// rtnetlink through libnl-route: the few link/address/route operations berth's networks need,
// on a socket bound to one network namespace (the caller's, or a container's).
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "network/ip.hpp"

struct nl_sock;

namespace berth::network {

using Mac = std::array<uint8_t, 6>;
std::string mac_str(const Mac& m);
Mac parse_mac(const std::string& text);  // throws UserError

struct HostRoute {
  Subnet dst;
  int ifindex = 0;
};

struct HostAddress {
  IpAddress address;
  int prefix = 0;
  int ifindex = 0;
};

class Netlink {
 public:
  Netlink();  // a socket in the calling thread's network namespace
  // A socket in the namespace of `ns_fd` (the thread enters it only while opening the socket).
  static Netlink in_netns(int ns_fd);
  ~Netlink();
  Netlink(Netlink&&) noexcept;
  Netlink& operator=(Netlink&&) noexcept;

  std::optional<int> ifindex(const std::string& name);
  std::vector<std::string> link_names();
  std::optional<int> link_mtu(const std::string& name);

  // Creates a bridge, up, with a fixed MAC (so it does not change as ports come and go).
  void create_bridge(const std::string& name, int mtu, const Mac& mac);
  // Deletes a link; false when it did not exist.
  bool delete_link(const std::string& name);
  void set_up(const std::string& name);

  // Creates a veth pair in ONE request: `host_name` here, enslaved to `bridge_ifindex` and up;
  // `peer_name` directly in the namespace `peer_ns_fd` (no move afterwards), with `peer_mac`,
  // still down (bring it up from a socket in that namespace). The host end is put in interface
  // group `group` (IFLA_GROUP; 0 = the default group) from its creation on.
  void create_veth(const std::string& host_name, int bridge_ifindex, int mtu,
                   const std::string& peer_name, int peer_ns_fd, const Mac& peer_mac, uint32_t group = 0);

  // Lets a bridge port send frames back out where they came in (IFLA_BRPORT_MODE): with
  // br_netfilter loaded, a container's packet to its own published port is DNATed at the bridge
  // and bridged back to the same port, which the bridge drops unless the port is in hairpin mode.
  void set_hairpin(const std::string& port_name);

  // Adds an address; IPv6 addresses get IFA_F_NODAD so they are usable at once. EEXIST ignored.
  void add_address(const std::string& ifname, const IpAddress& addr, int prefix);
  // Adds a default route via `gateway` on `ifname`; false if a default route already exists.
  bool add_default_route(const IpAddress& gateway, const std::string& ifname);

  std::vector<HostRoute> routes();        // all tables, both families
  std::vector<HostAddress> addresses();
  // The interface of the main table's IPv4 default route, if any.
  std::optional<int> default_route_ifindex();
  std::optional<std::string> link_name(int ifindex);

 private:
  explicit Netlink(nl_sock* sk) : sk_(sk) {}
  nl_sock* sk_ = nullptr;
};

}  // namespace berth::network
