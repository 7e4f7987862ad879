#pragma once
// IP address management as pure functions over what is in use; the manager feeds them the
// host's routes/addresses/resolvers and the leases it persisted.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "network/ip.hpp"

namespace berth::network {

// The first `prefix`-sized subnet of `pool` that overlaps nothing in `avoid` (scanned from the
// start of the pool so that freed subnets are reused); nullopt when the pool is exhausted.
std::optional<Subnet> pick_subnet(const Subnet& pool, int prefix, const std::vector<Subnet>& avoid);

// The lowest free address of `range` (default: the subnet) that is not the network address, the
// IPv4 broadcast address, or in `used` (which holds the gateway and every lease).
std::optional<IpAddress> pick_address(const Subnet& subnet, const std::optional<Subnet>& range,
                                      const std::set<IpAddress>& used);

// Throws UserError (naming `what`, e.g. "ipv4_address of web-1 on proj_default") unless `addr`
// is a usable host address of `subnet` and not in `used`.
void check_static_address(const IpAddress& addr, const Subnet& subnet, const std::set<IpAddress>& used,
                          const std::string& what);

// Validates a user-given ipam config: gateway inside and not network/broadcast, ip_range inside,
// subnet small enough to hold a gateway and one host. Throws UserError naming `network`.
void check_ipam(const Subnet& subnet, const std::optional<IpAddress>& gateway,
                const std::optional<Subnet>& ip_range, const std::string& network);

// The first subnet in `others` that overlaps `s`, if any.
std::optional<Subnet> find_overlap(const Subnet& s, const std::vector<Subnet>& others);

}  // namespace berth::network
