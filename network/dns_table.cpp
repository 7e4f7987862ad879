#include "network/dns_table.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace berth::network {

using nlohmann::json;

std::string lower_name(std::string name) {
  while (!name.empty() && name.back() == '.') name.pop_back();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

std::string dns_table_to_json(const DnsTable& t) {
  json nets = json::array();
  for (const auto& n : t.networks) {
    json listen = json::array();
    for (const auto& a : n.listen) listen.push_back(a.str());
    json eps = json::array();
    for (const auto& e : n.endpoints) {
      json j{{"id", e.container_id}, {"names", e.names}, {"dns_servers", e.dns_servers}};
      if (e.ipv4) j["ipv4"] = e.ipv4->str();
      if (e.ipv6) j["ipv6"] = e.ipv6->str();
      json links = json::array();
      for (const auto& [a, b] : e.links) links.push_back({a, b});
      j["links"] = links;
      eps.push_back(j);
    }
    nets.push_back({{"name", n.name}, {"listen", listen}, {"endpoints", eps}});
  }
  return json{{"port", t.port}, {"upstreams", t.upstreams}, {"networks", nets}}.dump() + "\n";
}

DnsTable dns_table_from_json(const std::string& text) {
  try {
    json j = json::parse(text);
    DnsTable t;
    t.port = j.value("port", uint16_t{53});
    t.upstreams = j.value("upstreams", std::vector<std::string>{});
    for (const auto& n : j.value("networks", json::array())) {
      DnsNetwork net;
      net.name = n.at("name").get<std::string>();
      for (const auto& a : n.value("listen", json::array())) net.listen.push_back(IpAddress::parse(a.get<std::string>()));
      for (const auto& e : n.value("endpoints", json::array())) {
        DnsEndpoint ep;
        ep.container_id = e.at("id").get<std::string>();
        if (e.contains("ipv4")) ep.ipv4 = IpAddress::parse(e["ipv4"].get<std::string>());
        if (e.contains("ipv6")) ep.ipv6 = IpAddress::parse(e["ipv6"].get<std::string>());
        ep.names = e.value("names", std::vector<std::string>{});
        ep.dns_servers = e.value("dns_servers", std::vector<std::string>{});
        for (const auto& l : e.value("links", json::array()))
          ep.links.emplace_back(l.at(0).get<std::string>(), l.at(1).get<std::string>());
        net.endpoints.push_back(std::move(ep));
      }
      t.networks.push_back(std::move(net));
    }
    return t;
  } catch (const json::exception& e) {
    throw UserError(std::string("bad DNS table: ") + e.what());
  }
}

std::pair<IpAddress, uint16_t> parse_upstream(const std::string& text) {
  std::string host = text;
  uint16_t port = 53;
  auto parse_port = [&](const std::string& p) {
    unsigned long v = 0;
    try {
      v = std::stoul(p);
    } catch (...) {
      v = 0;
    }
    if (v == 0 || v > 65535) throw UserError("invalid DNS server \"" + text + "\"");
    port = static_cast<uint16_t>(v);
  };
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) throw UserError("invalid DNS server \"" + text + "\"");
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') throw UserError("invalid DNS server \"" + text + "\"");
      parse_port(text.substr(close + 2));
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    auto colon = text.find(':');
    host = text.substr(0, colon);
    parse_port(text.substr(colon + 1));
  }
  auto addr = IpAddress::try_parse(host);
  if (!addr) throw UserError("invalid DNS server \"" + text + "\"");
  return {*addr, port};
}

DnsIndex::DnsIndex(const DnsTable& table) : table_(table), port_(table.port) {
  for (const auto& n : table_.networks) {
    Net& net = networks_[n.name];
    for (const auto& a : n.listen) {
      listen_nets_[a].push_back(n.name);
      listen_.insert(a);
    }
    for (const auto& e : n.endpoints) {
      for (const auto& name : e.names) net.by_name.emplace(lower_name(name), &e);
      if (e.ipv4) net.by_ip[*e.ipv4] = &e;
      if (e.ipv6) net.by_ip[*e.ipv6] = &e;
      container_nets_[e.container_id].push_back(n.name);
    }
  }
}

std::vector<const DnsIndex::Net*> DnsIndex::scope(const IpAddress& source, const IpAddress& local,
                                                  const DnsEndpoint** self) const {
  std::vector<const Net*> out;
  *self = nullptr;
  auto lit = listen_nets_.find(local);
  if (lit != listen_nets_.end()) {
    for (const auto& name : lit->second) {
      const Net& net = networks_.at(name);
      auto it = net.by_ip.find(source);
      if (it != net.by_ip.end()) *self = it->second;
    }
  }
  if (*self) {
    // A container sees the names of every network it is on, as with Docker's embedded DNS.
    for (const auto& name : container_nets_.at((*self)->container_id)) out.push_back(&networks_.at(name));
  } else if (lit != listen_nets_.end()) {
    for (const auto& name : lit->second) out.push_back(&networks_.at(name));
  }
  return out;
}

DnsIndex::Answer DnsIndex::resolve(const std::string& asked, bool want_v6, const IpAddress& source,
                                   const IpAddress& local) const {
  const DnsEndpoint* self = nullptr;
  auto nets = scope(source, local, &self);
  std::string name = lower_name(asked);
  if (self) {
    for (const auto& [alias, target] : self->links)
      if (lower_name(alias) == name) {
        name = lower_name(target);
        break;
      }
  }
  Answer ans;
  std::set<IpAddress> seen;
  for (const Net* net : nets) {
    auto [b, e] = net->by_name.equal_range(name);
    for (auto it = b; it != e; ++it) {
      ans.found = true;
      const auto& addr = want_v6 ? it->second->ipv6 : it->second->ipv4;
      if (addr && seen.insert(*addr).second) ans.addresses.push_back(*addr);
    }
  }
  return ans;
}

std::optional<std::string> DnsIndex::reverse(const IpAddress& addr, const IpAddress& source,
                                             const IpAddress& local) const {
  const DnsEndpoint* self = nullptr;
  for (const Net* net : scope(source, local, &self)) {
    auto it = net->by_ip.find(addr);
    if (it != net->by_ip.end() && !it->second->names.empty()) {
      // The most specific name: the container name is the second one by convention, but any
      // name will do for a PTR; prefer the longest (usually the container name).
      const auto& names = it->second->names;
      return *std::max_element(names.begin(), names.end(),
                               [](const auto& a, const auto& b) { return a.size() < b.size(); });
    }
  }
  return std::nullopt;
}

std::vector<std::string> DnsIndex::upstreams_for(const IpAddress& source, const IpAddress& local) const {
  const DnsEndpoint* self = nullptr;
  scope(source, local, &self);
  if (self && !self->dns_servers.empty()) return self->dns_servers;
  return table_.upstreams;
}

}  // namespace berth::network
