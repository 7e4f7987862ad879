#pragma once
// nftables through libnftables. Each berth network owns two tables of one name, "inet
// berth-<bridge>" (NAT, forwarding, loopback guard) and "bridge berth-<bridge>" (anti-spoofing
// guard of its ports), rendered whole from its record and replaced atomically (one transaction),
// so a crash never leaves half a rule set and a re-apply converges; attach/detach add and remove
// one endpoint's set elements. Deleting the tables removes everything.
#include <optional>
#include <string>
#include <vector>

#include "network/state.hpp"

namespace berth::network {

// Runs nft commands in one transaction; throws SysError("nft", <nft's error text>).
void nft_run(const std::string& commands);
// Runs a listing command and returns its text output.
std::string nft_list(const std::string& command);

// The full inet table of a network: published-port DNAT (prerouting + output), masquerade for
// outbound (unless internal), for host->127.0.0.1 and for hairpin traffic; forward filter that
// isolates berth bridges from each other and internal networks from everything else; and a raw
// prerouting chain dropping loopback addresses arriving from the bridge (CVE-2020-8558).
std::string render_network_table(const NetworkRecord& rec);
// The bridge-family table "bridge berth-<bridge>": the anti-spoofing guard of the network's
// container ports (veths in the network's interface group). Each active endpoint's port is pinned
// to its MAC and addresses (Ethernet source, ARP sender, IPv4/IPv6 source, neighbour
// advertisement target); a port not pinned sends nothing; no VLAN or other ethertypes, no router
// advertisements or redirects.
std::string render_guard_table(const NetworkRecord& rec);
// "<verb> element ..." commands ("add" or "delete") for the pins of one endpoint.
std::string guard_element_commands(const std::string& verb, const NetworkRecord& rec, const Endpoint& e);
// "add table; delete table; <table>" for both tables — the atomic replace of a network's rules.
std::string replace_table_commands(const NetworkRecord& rec);
void apply_network_table(const NetworkRecord& rec);
// Pins/unpins one endpoint's port (unpin re-renders the tables when elements are missing).
void add_guard_elements(const NetworkRecord& rec, const Endpoint& e);
void remove_guard_elements(const NetworkRecord& rec, const Endpoint& e);

struct BerthTable {
  std::string family;  // "inet" or "bridge"
  std::string name;
};
// Deletes both tables of a network's bridge; no error when missing.
void delete_network_tables(const std::string& bridge);
void delete_table(const BerthTable& table);  // no error when missing
// The inet and bridge tables whose names start with "berth-".
std::vector<BerthTable> list_berth_tables();

// A published port as the kernel rule set records it (in the rule comments), across all berth
// state roots on the host.
struct KernelPort {
  std::string protocol;
  std::string host_ip;  // "" = all addresses
  uint16_t port = 0;
  std::string container_id;
  std::string table;
};
std::vector<KernelPort> kernel_published_ports();
// The comment that marks a published port rule; parse_port_comment reverses it.
std::string port_comment(const PortRecord& p);
std::optional<KernelPort> parse_port_comment(const std::string& comment);

}  // namespace berth::network
