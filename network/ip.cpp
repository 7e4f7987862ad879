#include "network/ip.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "base/error.hpp"

namespace berth::network {

std::optional<IpAddress> IpAddress::try_parse(std::string_view text) {
  std::string s(text);
  IpAddress a;
  if (::inet_pton(AF_INET, s.c_str(), a.bytes_.data()) == 1) {
    a.family_ = Family::V4;
    return a;
  }
  if (::inet_pton(AF_INET6, s.c_str(), a.bytes_.data()) == 1) {
    a.family_ = Family::V6;
    return a;
  }
  return std::nullopt;
}

IpAddress IpAddress::parse(std::string_view text) {
  auto a = try_parse(text);
  if (!a) throw UserError("invalid IP address \"" + std::string(text) + "\"");
  return *a;
}

IpAddress IpAddress::v4(uint32_t host_order) {
  IpAddress a;
  uint32_t n = htonl(host_order);
  std::memcpy(a.bytes_.data(), &n, 4);
  return a;
}

IpAddress IpAddress::from_bytes(Family f, const void* bytes) {
  IpAddress a;
  a.family_ = f;
  std::memcpy(a.bytes_.data(), bytes, f == Family::V4 ? 4 : 16);
  return a;
}

uint32_t IpAddress::v4_host_order() const {
  uint32_t n;
  std::memcpy(&n, bytes_.data(), 4);
  return ntohl(n);
}

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN];
  ::inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

IpAddress IpAddress::plus(uint64_t n) const {
  IpAddress a = *this;
  int len = is_v4() ? 4 : 16;
  unsigned carry = 0;
  for (int i = len - 1; i >= 0; --i) {
    unsigned sum = a.bytes_[i] + static_cast<unsigned>(n & 0xff) + carry;
    a.bytes_[i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
    n >>= 8;
  }
  return a;
}

Subnet::Subnet(IpAddress network, int prefix) : network_(network), prefix_(prefix) {
  uint8_t bytes[16];
  int len = network.is_v4() ? 4 : 16;
  std::memcpy(bytes, network.bytes(), len);
  for (int i = 0; i < len * 8; ++i)
    if (i >= prefix) bytes[i / 8] &= static_cast<uint8_t>(~(1u << (7 - i % 8)));
  network_ = IpAddress::from_bytes(network.family(), bytes);
}

std::optional<Subnet> Subnet::try_parse(std::string_view cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = IpAddress::try_parse(cidr.substr(0, slash));
  if (!addr) return std::nullopt;
  auto ptext = cidr.substr(slash + 1);
  int prefix = -1;
  auto [end, ec] = std::from_chars(ptext.data(), ptext.data() + ptext.size(), prefix);
  if (ec != std::errc() || end != ptext.data() + ptext.size() || prefix < 0 || prefix > addr->bits())
    return std::nullopt;
  return Subnet(*addr, prefix);
}

Subnet Subnet::parse(std::string_view cidr) {
  auto s = try_parse(cidr);
  if (!s) throw UserError("invalid subnet \"" + std::string(cidr) + "\" (expected CIDR like 10.1.2.0/24)");
  return *s;
}

std::string Subnet::str() const { return network_.str() + "/" + std::to_string(prefix_); }

bool Subnet::contains(const IpAddress& a) const {
  if (a.family() != family()) return false;
  for (int i = 0; i < prefix_; ++i)
    if (a.bit(i) != network_.bit(i)) return false;
  return true;
}

bool Subnet::overlaps(const Subnet& o) const {
  if (o.family() != family()) return false;
  return prefix_ <= o.prefix_ ? contains(o.network_) : o.contains(network_);
}

uint64_t Subnet::size() const {
  int host_bits = network_.bits() - prefix_;
  return host_bits >= 63 ? (uint64_t{1} << 63) : (uint64_t{1} << host_bits);
}

IpAddress Subnet::broadcast() const {
  uint8_t bytes[16];
  int len = network_.is_v4() ? 4 : 16;
  std::memcpy(bytes, network_.bytes(), len);
  for (int i = prefix_; i < len * 8; ++i) bytes[i / 8] |= static_cast<uint8_t>(1u << (7 - i % 8));
  return IpAddress::from_bytes(network_.family(), bytes);
}

}  // namespace berth::network
