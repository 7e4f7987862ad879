#pragma once
// berth's networks: one Linux bridge per network, IPAM with persisted leases, veth pairs into a
// container's (persistent) network namespace, an embedded DNS server per state root, published
// ports and NAT in nftables. Knows nothing of compose files: the orchestration translates
// `networks:`, `ports:`, `links:` into the plain requests below.
//
// Life cycle as the orchestration uses it:
//   NetworkManager nm(paths);
//   nm.check_ports(mappings);                 // before anything starts: clear error if taken
//   nm.ensure(spec);                          // per project network (idempotent, converges)
//   auto a = nm.attach("proj_default", req);  // after the runtime made the container netns
//   nm.publish(container_id, mappings);       // DNAT host ports to the container
//   ... start the container ...
//   nm.detach_all(container_id);              // on stop/remove: releases DNS names + port maps
//   nm.release(container_id);                 // on remove: also forgets its address leases
//   nm.remove("proj_default");                // on down (fails while containers are attached)
//
// State: <root>/networks/<name>.json (spec, subnets, leases), locked by <root>/networks/.lock;
// the DNS table and server under <runtime>/network/. Kernel objects (bridge "brt-<hash>", nft
// tables "inet berth-<bridge>" and "bridge berth-<bridge>") are derived from the state, so
// ensure() after a crash rebuilds or repairs them instead of failing on leftovers. Everything is
// removed with the last network.
//
// Containment: nothing from a bridge may carry a loopback address (the bridges have
// route_localnet for ports published on 127.0.0.1; CVE-2020-8558), and each container's port is
// pinned to its MAC and addresses (bridge-family guard, pins made before the veth and removed on
// detach), so a container with CAP_NET_RAW can neither reach the host's loopback services nor
// take another container's address or MAC.
//
// All methods are safe to call from several processes at once (file lock + a host-wide lock
// for subnet allocation and sysctls). Errors: UserError for bad requests (message names the
// network/container/port), SysError for kernel failures; nothing half-made is left behind.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/paths.hpp"
#include "network/ip.hpp"

namespace berth::network {

// `ipam.config` entry of a network: at most one IPv4 and one IPv6 entry.
struct IpamConfig {
  std::optional<Subnet> subnet;
  std::optional<IpAddress> gateway;  // default: first host address of the subnet
  std::optional<Subnet> ip_range;    // dynamic addresses only from here (must be in subnet)
};

struct NetworkSpec {
  std::string name;                  // the real name, e.g. "myproj_default" or a custom `name:`
  std::string driver = "bridge";     // only "bridge" is supported ("" means bridge)
  bool internal = false;             // no route out, no masquerade
  bool enable_ipv6 = false;          // adds an IPv6 subnet (from ipam or the ULA pool)
  bool external = false;             // must already exist (made by `berth network create`)
  std::vector<IpamConfig> ipam;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> driver_opts;  // "com.docker.network.driver.mtu" honoured
};

struct NetworkInfo {
  std::string name;
  std::string id;                    // 64 hex chars, stable for the life of the network
  std::string bridge;                // kernel interface name, e.g. "brt-3f9a0c12de4"
  std::string driver = "bridge";
  bool internal = false;
  bool enable_ipv6 = false;
  std::optional<Subnet> subnet4, subnet6;
  std::optional<IpAddress> gateway4, gateway6;
  int mtu = 1500;
  std::map<std::string, std::string> labels;
  std::string created;               // RFC 3339 UTC
  std::vector<std::string> containers;  // ids of containers currently attached
};

struct AttachRequest {
  std::string container_id;
  std::string container_name;
  std::string netns_path;            // bind-mounted netns of the container (must exist)
  // Names other containers on this network resolve to this one: service name, container name,
  // hostname, network aliases, and aliases other services' `links:` give it. Replicas of a
  // service all register the service name; a lookup returns all of them.
  std::vector<std::string> dns_names;
  // Names resolved only for THIS container (legacy `links: ["db:database"]`): alias -> a name
  // registered on the network ("database" -> "db"). Answers follow the target's current replicas.
  std::vector<std::pair<std::string, std::string>> link_aliases;
  std::optional<IpAddress> ipv4, ipv6;  // static `ipv4_address` / `ipv6_address`
  std::optional<std::string> mac_address;
  // Upstream resolvers for this container's forwarded queries (service `dns:`); empty = host's.
  std::vector<std::string> dns_servers;
  std::string interface;             // default: next free "ethN" in the netns
};

struct Attachment {
  std::string network;
  std::string interface;             // "eth0", "eth1", ...
  std::string ipv4, ipv6;            // "" when none
  int prefix4 = 0, prefix6 = 0;
  std::string gateway4, gateway6;    // "" when none
  std::string mac;                   // "02:42:..."
  std::string dns_server;            // the embedded DNS address for resolv.conf ("" if none)
  std::string host_gateway;          // the host's address on this bridge (extra_hosts host-gateway)
};

struct PortMapping {
  std::string host_ip;               // "" = every host address (0.0.0.0); "127.0.0.1" = loopback only
  uint16_t host_port = 0;            // 0 = a random free port
  uint16_t host_port_end = 0;        // with host_port: pick a free port in [host_port, host_port_end]
  uint16_t container_port = 0;
  std::string protocol = "tcp";      // tcp | udp
};

struct PublishedPort {
  std::string container_id;
  std::string network;
  std::string host_ip;               // "" = all
  uint16_t host_port = 0;            // the actual port
  uint16_t container_port = 0;
  std::string protocol = "tcp";
  std::string container_ip;
};

// Expands a compose port range ("8000-8005:80-85", "8000-8010:80", "80") into mappings:
// equal-length ranges map one to one; a host range for one container port picks one free port.
std::vector<PortMapping> expand_port_range(const std::string& host_ip, uint16_t host_start,
                                           uint16_t host_end, uint16_t container_start,
                                           uint16_t container_end, const std::string& protocol);

struct NetworkOptions {
  // Where dynamic subnets come from: /24s from 10.200.0.0/14 (1024 networks) by default.
  Subnet pool4 = Subnet::parse("10.200.0.0/14");
  int pool4_prefix = 24;
  Subnet pool6 = Subnet::parse("fd62:6572:7468::/48");
  int pool6_prefix = 64;
  // Upstream resolvers for forwarded queries, "ip" or "ip:port" / "[ip6]:port". Empty = env
  // BERTH_DNS_UPSTREAMS (comma-separated) if set, else the host's /etc/resolv.conf.
  std::vector<std::string> dns_upstreams;
  // The berth-dns program; empty = $BERTH_DNS_PATH, else "berth-dns" beside /proc/self/exe.
  std::filesystem::path dns_program;
  // Host-wide lock + sysctl record shared by every berth state root on the host.
  std::filesystem::path host_dir = "/run/berth-net";
};

class NetworkManager {
 public:
  explicit NetworkManager(const StatePaths& paths, NetworkOptions options = {});
  ~NetworkManager();
  NetworkManager(const NetworkManager&) = delete;
  NetworkManager& operator=(const NetworkManager&) = delete;

  // Creates the network if missing, else checks the spec matches (subnet, internal, ipv6) and
  // repairs missing kernel objects (bridge, addresses, nft table, DNS server). An external spec
  // never creates: it fails with "network X declared as external, but could not be found".
  NetworkInfo ensure(const NetworkSpec& spec);
  // Deletes the network and everything berth made for it. Throws UserError when containers are
  // still attached (unless force: then their leases go too) or when it does not exist.
  void remove(const std::string& name, bool force = false);
  std::optional<NetworkInfo> find(const std::string& name) const;
  std::vector<NetworkInfo> list() const;

  // Creates the veth pair (outer end on the bridge, inner end created directly in the netns),
  // assigns the lease (kept from a previous attach of the same container id), default route
  // (first non-internal network of the netns), registers DNS names. Rolls back on failure.
  // Attaching an already attached container again re-creates its interface with its lease.
  Attachment attach(const std::string& network, const AttachRequest& request);
  // Removes the container's DNS names and published ports on this network / on all networks.
  // The veth is NOT deleted (the netns going away reaps it) unless delete_link is true.
  void detach(const std::string& network, const std::string& container_id, bool delete_link = false);
  void detach_all(const std::string& container_id, bool delete_links = false);
  // detach_all + forget the container's address leases (container removed for good).
  void release(const std::string& container_id);
  // The same for several containers: one pass over the network records and one DNS update.
  void release(const std::vector<std::string>& container_ids);
  std::vector<Attachment> attachments(const std::string& container_id) const;

  // Throws UserError naming the port and the process holding it (when findable) if any mapping's
  // host port is taken by berth or by any process; does not reserve anything. Ports that the
  // containers in `replaced` publish now do not count (they are about to be replaced).
  void check_ports(const std::vector<PortMapping>& mappings, const std::vector<std::string>& replaced = {}) const;
  // DNATs the mappings to the container's address on `network` (default: its first attached
  // non-internal network). Random/ranged host ports are resolved; returns the actual ports.
  // Replaces earlier mappings of the container. All or nothing.
  std::vector<PublishedPort> publish(const std::string& container_id,
                                     const std::vector<PortMapping>& mappings,
                                     const std::string& network = {});
  std::vector<PublishedPort> published(const std::string& container_id) const;
  std::vector<PublishedPort> all_published() const;

  // The embedded DNS address containers of this network use (the bridge gateway).
  std::string dns_server_address(const std::string& network) const;

  // Removes berth kernel objects of this state root that no network record owns (bridges and
  // nft tables left by a crash), and stops a DNS server nobody needs. ensure()/remove() call it.
  void converge();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::network
