#pragma once
// IPv4/IPv6 addresses and CIDR subnets as plain values (no Boost in the public headers, so that
// everybody including them compiles fast). Parsing throws UserError with the bad text.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::network {

class IpAddress {
 public:
  enum class Family : uint8_t { V4 = 4, V6 = 6 };

  IpAddress() = default;  // 0.0.0.0
  static IpAddress parse(std::string_view text);             // throws UserError
  static std::optional<IpAddress> try_parse(std::string_view text);
  static IpAddress v4(uint32_t host_order);
  static IpAddress from_bytes(Family f, const void* bytes);  // 4 or 16 network-order bytes

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::V4; }
  bool is_v6() const { return family_ == Family::V6; }
  int bits() const { return is_v4() ? 32 : 128; }
  const uint8_t* bytes() const { return bytes_.data(); }  // 4 or 16 bytes, network order
  uint32_t v4_host_order() const;                          // only for V4
  std::string str() const;                                 // canonical text (inet_ntop)

  // The address `n` places after this one (wraps within the family).
  IpAddress plus(uint64_t n) const;
  bool bit(int i) const { return (bytes_[i / 8] >> (7 - i % 8)) & 1; }

  auto operator<=>(const IpAddress&) const = default;

 private:
  Family family_ = Family::V4;
  std::array<uint8_t, 16> bytes_{};
};

class Subnet {
 public:
  Subnet() = default;
  Subnet(IpAddress network, int prefix);                 // host bits are cleared
  static Subnet parse(std::string_view cidr);            // "10.200.3.0/24"; throws UserError
  static std::optional<Subnet> try_parse(std::string_view cidr);

  const IpAddress& network() const { return network_; }
  int prefix() const { return prefix_; }
  IpAddress::Family family() const { return network_.family(); }
  std::string str() const;  // "10.200.3.0/24"

  bool contains(const IpAddress& a) const;
  bool overlaps(const Subnet& o) const;
  // The n-th address of the subnet (0 = network address).
  IpAddress host(uint64_t n) const { return network_.plus(n); }
  // Number of addresses, saturated at 2^63 for big IPv6 subnets.
  uint64_t size() const;
  IpAddress broadcast() const;  // last address (v4 broadcast)

  auto operator<=>(const Subnet&) const = default;

 private:
  IpAddress network_;
  int prefix_ = 0;
};

}  // namespace berth::network
