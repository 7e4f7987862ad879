#pragma once
// What the embedded DNS server knows: written by the NetworkManager as one JSON file (replaced
// atomically) and loaded by berth-dns on "reload"; DnsIndex answers lookups from it.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "network/ip.hpp"

namespace berth::network {

struct DnsEndpoint {
  std::string container_id;
  std::optional<IpAddress> ipv4, ipv6;
  std::vector<std::string> names;
  std::vector<std::pair<std::string, std::string>> links;  // alias -> target name, for this container only
  std::vector<std::string> dns_servers;                     // its own upstreams ("" = the table's)
};

struct DnsNetwork {
  std::string name;
  std::vector<IpAddress> listen;  // the bridge gateway(s)
  std::vector<DnsEndpoint> endpoints;
};

struct DnsTable {
  uint16_t port = 53;
  std::vector<std::string> upstreams;  // "ip", "ip:port", "[ip6]:port"
  std::vector<DnsNetwork> networks;
};

std::string dns_table_to_json(const DnsTable& t);
DnsTable dns_table_from_json(const std::string& text);  // throws UserError

// "1.2.3.4" / "1.2.3.4:5353" / "[fd00::1]:53" / "fd00::1" -> address and port (default 53).
std::pair<IpAddress, uint16_t> parse_upstream(const std::string& text);

std::string lower_name(std::string name);  // lower-case, trailing dot removed

class DnsIndex {
 public:
  DnsIndex() = default;
  explicit DnsIndex(const DnsTable& table);
  // Holds pointers into its own copy of the table: not copyable or movable.
  DnsIndex(const DnsIndex&) = delete;
  DnsIndex& operator=(const DnsIndex&) = delete;

  struct Answer {
    bool found = false;               // the name is known in the querier's scope
    std::vector<IpAddress> addresses;  // of the asked family (may be empty: NODATA)
  };
  // `name` as asked; `source` the querier's address; `local` the address the query came in on.
  Answer resolve(const std::string& name, bool want_v6, const IpAddress& source, const IpAddress& local) const;
  // Name for a PTR lookup of `addr` within the querier's scope.
  std::optional<std::string> reverse(const IpAddress& addr, const IpAddress& source, const IpAddress& local) const;
  // Where to forward a query the index cannot answer.
  std::vector<std::string> upstreams_for(const IpAddress& source, const IpAddress& local) const;
  const std::set<IpAddress>& listen_addresses() const { return listen_; }
  uint16_t port() const { return port_; }
  size_t network_count() const { return networks_.size(); }

 private:
  struct Net {
    std::multimap<std::string, const DnsEndpoint*> by_name;
    std::map<IpAddress, const DnsEndpoint*> by_ip;
  };
  // Networks visible to the querier and, if it is a known container, that container.
  std::vector<const Net*> scope(const IpAddress& source, const IpAddress& local, const DnsEndpoint** self) const;

  DnsTable table_;
  std::map<std::string, Net> networks_;
  std::map<IpAddress, std::vector<std::string>> listen_nets_;   // gateway -> network names
  std::map<std::string, std::vector<std::string>> container_nets_;
  std::set<IpAddress> listen_;
  uint16_t port_ = 53;
};

}  // namespace berth::network
