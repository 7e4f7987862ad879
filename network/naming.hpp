#pragma once
// Names of the kernel objects berth makes for a network, derived from stable inputs so that a
// crashed run's leftovers are found (and replaced) by the next one.
#include <filesystem>
#include <string>

#include "network/ip.hpp"
#include "network/netlink.hpp"

namespace berth::network {

inline constexpr const char* kBridgePrefix = "brt-";
inline constexpr const char* kVethPrefix = "vb-";
inline constexpr const char* kTablePrefix = "berth-";

// "brt-" + 11 hex chars of sha256(state root, network name): <= 15 chars (IFNAMSIZ - 1), stable
// for a network of a state root, different for the same name under another root.
std::string bridge_name(const std::filesystem::path& state_root, const std::string& network);
// "vb-" + 12 hex chars of sha256(network id, container id): the host end of a container's veth.
std::string host_veth_name(const std::string& network_id, const std::string& container_id);
// The nftables tables of a network: "berth-" + bridge name, in the inet family (NAT, forward
// filter, loopback guard) and in the bridge family (the anti-spoofing guard of its ports).
std::string table_name(const std::string& bridge);
// The interface group (IFLA_GROUP) of a network's veths, derived from the bridge name: the
// bridge-family guard matches a network's ports with `iifgroup` (never 0, the default group).
uint32_t interface_group(const std::string& bridge);
// Locally administered MAC: 02:42 + the IPv4 address (as Docker), or hashed from `seed`.
Mac mac_for(const IpAddress& ipv4);
Mac mac_from_seed(const std::string& seed);
// 64 random hex chars.
std::string random_id();
// Network and container names the CLI accepts: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 chars.
bool valid_network_name(const std::string& name);

}  // namespace berth::network
