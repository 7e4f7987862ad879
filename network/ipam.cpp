#include "network/ipam.hpp"

#include "base/error.hpp"

namespace berth::network {

std::optional<Subnet> find_overlap(const Subnet& s, const std::vector<Subnet>& others) {
  for (const auto& o : others)
    if (s.overlaps(o)) return o;
  return std::nullopt;
}

std::optional<Subnet> pick_subnet(const Subnet& pool, int prefix, const std::vector<Subnet>& avoid) {
  if (prefix < pool.prefix() || prefix > pool.network().bits()) return std::nullopt;
  int step_bits = prefix - pool.prefix();
  uint64_t count = step_bits >= 32 ? (uint64_t{1} << 32) : (uint64_t{1} << step_bits);
  int host_bits = pool.network().bits() - prefix;
  for (uint64_t i = 0; i < count; ++i) {
    // Offset i << host_bits, done on the address bytes so that IPv6 /64s work.
    IpAddress base = pool.network();
    uint8_t bytes[16];
    std::copy(base.bytes(), base.bytes() + (base.is_v4() ? 4 : 16), bytes);
    uint64_t v = i;
    int bit = base.bits() - 1 - host_bits;  // the lowest bit of the subnet part
    while (v && bit >= 0) {
      if (v & 1) bytes[bit / 8] |= static_cast<uint8_t>(1u << (7 - bit % 8));
      v >>= 1;
      --bit;
    }
    Subnet candidate(IpAddress::from_bytes(base.family(), bytes), prefix);
    if (!find_overlap(candidate, avoid)) return candidate;
  }
  return std::nullopt;
}

static bool reserved(const IpAddress& a, const Subnet& s) {
  if (a == s.network()) return true;
  return s.family() == IpAddress::Family::V4 && s.prefix() < 31 && a == s.broadcast();
}

std::optional<IpAddress> pick_address(const Subnet& subnet, const std::optional<Subnet>& range,
                                      const std::set<IpAddress>& used) {
  const Subnet& r = range ? *range : subnet;
  uint64_t n = r.size();
  // Bounded scan: a /64 is never walked to its end, a few thousand leases at most are in use.
  uint64_t limit = std::min<uint64_t>(n, used.size() + 4096);
  for (uint64_t i = 0; i < limit; ++i) {
    IpAddress a = r.host(i);
    if (!subnet.contains(a) || reserved(a, subnet) || used.count(a)) continue;
    return a;
  }
  return std::nullopt;
}

void check_static_address(const IpAddress& addr, const Subnet& subnet, const std::set<IpAddress>& used,
                          const std::string& what) {
  if (!subnet.contains(addr))
    throw UserError(what + ": address " + addr.str() + " is outside the network's subnet " + subnet.str());
  if (reserved(addr, subnet))
    throw UserError(what + ": address " + addr.str() + " is the network or broadcast address of " + subnet.str());
  if (used.count(addr)) throw UserError(what + ": address " + addr.str() + " is already in use");
}

void check_ipam(const Subnet& subnet, const std::optional<IpAddress>& gateway,
                const std::optional<Subnet>& ip_range, const std::string& network) {
  std::string who = "network " + network;
  if (subnet.network().bits() - subnet.prefix() < 2)
    throw UserError(who + ": subnet " + subnet.str() + " is too small (needs a gateway and a host)");
  if (gateway) {
    if (gateway->family() != subnet.family() || !subnet.contains(*gateway))
      throw UserError(who + ": gateway " + gateway->str() + " is outside subnet " + subnet.str());
    if (reserved(*gateway, subnet))
      throw UserError(who + ": gateway " + gateway->str() + " is the network or broadcast address of " +
                      subnet.str());
  }
  if (ip_range && (ip_range->family() != subnet.family() || ip_range->prefix() < subnet.prefix() ||
                   !subnet.contains(ip_range->network())))
    throw UserError(who + ": ip_range " + ip_range->str() + " is not inside subnet " + subnet.str());
}

}  // namespace berth::network
