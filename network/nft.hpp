#pragma once
// nftables through libnftables. Each berth network owns ONE table, "inet berth-<bridge>",
// rendered whole from its record and replaced atomically (one transaction), so a crash never
// leaves half a rule set and a re-apply converges. Deleting the table removes everything.
#include <optional>
#include <string>
#include <vector>

#include "network/state.hpp"

namespace berth::network {

// Runs nft commands in one transaction; throws SysError("nft", <nft's error text>).
void nft_run(const std::string& commands);
// Runs a listing command and returns its text output.
std::string nft_list(const std::string& command);

// The full table of a network: published-port DNAT (prerouting + output), masquerade for
// outbound (unless internal), for host->127.0.0.1 and for hairpin traffic; forward filter that
// isolates berth bridges from each other and internal networks from everything else.
std::string render_network_table(const NetworkRecord& rec);
// "add table; delete table; <table>" — the atomic replace of the network's table.
std::string replace_table_commands(const NetworkRecord& rec);
void apply_network_table(const NetworkRecord& rec);
void delete_table(const std::string& table);  // no error when missing
// Names of the inet tables starting with "berth-".
std::vector<std::string> list_berth_tables();

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
