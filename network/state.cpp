#include "network/state.hpp"

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/file_io.hpp"

namespace berth::network {
namespace {

using nlohmann::json;

template <class T>
void put_opt(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = v->str();
}

std::optional<IpAddress> get_addr(const json& j, const char* key) {
  if (!j.contains(key)) return std::nullopt;
  return IpAddress::parse(j.at(key).get<std::string>());
}

std::optional<Subnet> get_subnet(const json& j, const char* key) {
  if (!j.contains(key)) return std::nullopt;
  return Subnet::parse(j.at(key).get<std::string>());
}

json endpoint_json(const Endpoint& e) {
  json j{{"container_id", e.container_id}, {"container_name", e.container_name}, {"netns_path", e.netns_path},
         {"interface", e.interface},       {"host_veth", e.host_veth},           {"mac", e.mac},
         {"static_ipv4", e.static_ipv4},   {"static_ipv6", e.static_ipv6},       {"active", e.active}, {"seq", e.seq},
         {"dns_names", e.dns_names},       {"dns_servers", e.dns_servers}};
  put_opt(j, "ipv4", e.ipv4);
  put_opt(j, "ipv6", e.ipv6);
  json links = json::array();
  for (const auto& [alias, target] : e.link_aliases) links.push_back({alias, target});
  j["link_aliases"] = links;
  return j;
}

Endpoint endpoint_from(const json& j) {
  Endpoint e;
  e.container_id = j.at("container_id").get<std::string>();
  e.container_name = j.value("container_name", "");
  e.netns_path = j.value("netns_path", "");
  e.interface = j.value("interface", "");
  e.host_veth = j.value("host_veth", "");
  e.mac = j.value("mac", "");
  e.static_ipv4 = j.value("static_ipv4", false);
  e.static_ipv6 = j.value("static_ipv6", false);
  e.active = j.value("active", false);
  e.seq = j.value("seq", uint64_t{0});
  e.ipv4 = get_addr(j, "ipv4");
  e.ipv6 = get_addr(j, "ipv6");
  e.dns_names = j.value("dns_names", std::vector<std::string>{});
  e.dns_servers = j.value("dns_servers", std::vector<std::string>{});
  for (const auto& l : j.value("link_aliases", json::array()))
    e.link_aliases.emplace_back(l.at(0).get<std::string>(), l.at(1).get<std::string>());
  return e;
}

}  // namespace

std::string to_json_text(const NetworkRecord& r) {
  json j{{"name", r.name},        {"id", r.id},         {"bridge", r.bridge},
         {"driver", r.driver},    {"created", r.created}, {"internal", r.internal},
         {"enable_ipv6", r.enable_ipv6}, {"user_subnet4", r.user_subnet4}, {"user_subnet6", r.user_subnet6},
         {"mtu", r.mtu},          {"labels", r.labels}, {"driver_opts", r.driver_opts}};
  put_opt(j, "subnet4", r.subnet4);
  put_opt(j, "subnet6", r.subnet6);
  put_opt(j, "range4", r.range4);
  put_opt(j, "range6", r.range6);
  put_opt(j, "gateway4", r.gateway4);
  put_opt(j, "gateway6", r.gateway6);
  json eps = json::object();
  for (const auto& [id, e] : r.endpoints) eps[id] = endpoint_json(e);
  j["endpoints"] = eps;
  json ports = json::array();
  for (const auto& p : r.ports)
    ports.push_back({{"container_id", p.container_id}, {"host_ip", p.host_ip}, {"host_port", p.host_port},
                     {"container_port", p.container_port}, {"protocol", p.protocol}});
  j["ports"] = ports;
  return j.dump(2) + "\n";
}

NetworkRecord record_from_json_text(const std::string& text, const std::string& what) {
  try {
    json j = json::parse(text);
    NetworkRecord r;
    r.name = j.at("name").get<std::string>();
    r.id = j.at("id").get<std::string>();
    r.bridge = j.at("bridge").get<std::string>();
    r.driver = j.value("driver", "bridge");
    r.created = j.value("created", "");
    r.internal = j.value("internal", false);
    r.enable_ipv6 = j.value("enable_ipv6", false);
    r.user_subnet4 = j.value("user_subnet4", false);
    r.user_subnet6 = j.value("user_subnet6", false);
    r.mtu = j.value("mtu", 1500);
    r.labels = j.value("labels", std::map<std::string, std::string>{});
    r.driver_opts = j.value("driver_opts", std::map<std::string, std::string>{});
    r.subnet4 = get_subnet(j, "subnet4");
    r.subnet6 = get_subnet(j, "subnet6");
    r.range4 = get_subnet(j, "range4");
    r.range6 = get_subnet(j, "range6");
    r.gateway4 = get_addr(j, "gateway4");
    r.gateway6 = get_addr(j, "gateway6");
    // Bound to locals: iterating items() of the temporary value() returns would dangle.
    const json endpoints = j.value("endpoints", json::object());
    const json ports = j.value("ports", json::array());
    for (const auto& [id, e] : endpoints.items()) r.endpoints[id] = endpoint_from(e);
    for (const auto& p : ports)
      r.ports.push_back({p.at("container_id").get<std::string>(), p.value("host_ip", ""),
                         p.at("host_port").get<uint16_t>(), p.at("container_port").get<uint16_t>(),
                         p.value("protocol", "tcp")});
    return r;
  } catch (const json::exception& e) {
    throw UserError("corrupt network state " + what + ": " + e.what());
  }
}

std::filesystem::path NetworkStore::file_for(const std::string& name) const { return dir_ / (name + ".json"); }

std::optional<NetworkRecord> NetworkStore::load(const std::string& name) const {
  auto path = file_for(name);
  auto text = try_read_file(path);
  if (!text) return std::nullopt;
  return record_from_json_text(*text, path.string());
}

std::vector<NetworkRecord> NetworkStore::load_all(const NetworkRecord* current) const {
  std::vector<NetworkRecord> out;
  if (current) out.push_back(*current);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const auto& p = entry.path();
    if (p.extension() != ".json" || p.filename().string().front() == '.') continue;
    if (current && p.stem() == current->name) continue;
    if (auto text = try_read_file(p)) out.push_back(record_from_json_text(*text, p.string()));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

void NetworkStore::save(const NetworkRecord& rec) const {
  std::filesystem::create_directories(dir_);
  // No fsync: records change at every container start and stop, and describe bridges, veths and
  // leases that a reboot removes anyway (the rename keeps a crashing process from tearing them).
  write_file_atomic(file_for(rec.name), to_json_text(rec), 0600, Sync::No);
}

void NetworkStore::erase(const std::string& name) const {
  std::error_code ec;
  std::filesystem::remove(file_for(name), ec);
}

}  // namespace berth::network
