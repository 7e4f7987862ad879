#include "network/naming.hpp"

#include <sys/random.h>

#include <cctype>
#include <cstdio>

#include "base/error.hpp"
#include "base/name_limits.hpp"
#include "base/sha256.hpp"

namespace berth::network {

std::string bridge_name(const std::filesystem::path& state_root, const std::string& network) {
  std::string key = state_root.string();
  key.push_back('\0');
  key += network;
  return kBridgePrefix + sha256_hex(key).substr(0, 11);
}

std::string host_veth_name(const std::string& network_id, const std::string& container_id) {
  return kVethPrefix + sha256_hex(network_id + '\0' + container_id).substr(0, 12);
}

std::string table_name(const std::string& bridge) { return kTablePrefix + bridge; }

uint32_t interface_group(const std::string& bridge) {
  // 28 bits of the hash with bit 28 set: never 0, and as unlikely to collide as the bridge names.
  return static_cast<uint32_t>(std::stoul(sha256_hex(bridge).substr(0, 7), nullptr, 16)) | 0x10000000u;
}

Mac mac_for(const IpAddress& ipv4) {
  const uint8_t* b = ipv4.bytes();
  return {0x02, 0x42, b[0], b[1], b[2], b[3]};
}

Mac mac_from_seed(const std::string& seed) {
  std::string h = sha256_hex(seed);
  Mac m{};
  for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(std::stoi(h.substr(i * 2, 2), nullptr, 16));
  m[0] = static_cast<uint8_t>((m[0] & 0xfe) | 0x02);  // unicast, locally administered
  return m;
}

std::string random_id() {
  unsigned char buf[32];
  size_t got = 0;
  while (got < sizeof buf) {
    ssize_t n = ::getrandom(buf + got, sizeof buf - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("getrandom");
    }
    got += static_cast<size_t>(n);
  }
  std::string out;
  char hex[3];
  for (unsigned char c : buf) {
    std::snprintf(hex, sizeof hex, "%02x", c);
    out += hex;
  }
  return out;
}

bool valid_network_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

}  // namespace berth::network
