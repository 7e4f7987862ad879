#pragma once
// What berth remembers about its networks: one JSON file per network under <root>/networks/,
// written atomically. The kernel objects are rebuilt from these records (never the reverse).
#include <filesystem>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "network/ip.hpp"

namespace berth::network {

// A container's membership of a network. The lease (addresses, MAC) outlives `active`: a stopped
// container keeps its address for its next start.
struct Endpoint {
  std::string container_id;
  std::string container_name;
  std::string netns_path;
  std::string interface;   // inside the netns
  std::string host_veth;
  std::optional<IpAddress> ipv4, ipv6;
  std::string mac;
  bool static_ipv4 = false, static_ipv6 = false;
  bool active = false;     // attached now: its names resolve, its ports are published
  uint64_t seq = 0;        // when it was attached (orders a container's networks: eth0 first)
  std::vector<std::string> dns_names;
  std::vector<std::pair<std::string, std::string>> link_aliases;
  std::vector<std::string> dns_servers;
};

struct PortRecord {
  std::string container_id;
  std::string host_ip;
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  std::string protocol = "tcp";
};

struct NetworkRecord {
  std::string name, id, bridge, driver = "bridge", created;
  bool internal = false, enable_ipv6 = false;
  bool user_subnet4 = false, user_subnet6 = false;  // given in ipam (vs picked from the pool)
  std::optional<Subnet> subnet4, subnet6, range4, range6;
  std::optional<IpAddress> gateway4, gateway6;
  int mtu = 1500;
  std::map<std::string, std::string> labels, driver_opts;
  std::map<std::string, Endpoint> endpoints;  // by container id
  std::vector<PortRecord> ports;
};

class NetworkStore {
 public:
  explicit NetworkStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path lock_path() const { return dir_ / ".lock"; }

  std::optional<NetworkRecord> load(const std::string& name) const;
  // Every record, sorted by name; `current` stands in for the stored record of its name (which
  // is then not read again).
  std::vector<NetworkRecord> load_all(const NetworkRecord* current = nullptr) const;
  void save(const NetworkRecord& rec) const;
  void erase(const std::string& name) const;

 private:
  std::filesystem::path file_for(const std::string& name) const;
  std::filesystem::path dir_;
};

std::string to_json_text(const NetworkRecord& rec);
NetworkRecord record_from_json_text(const std::string& text, const std::string& what);

}  // namespace berth::network
