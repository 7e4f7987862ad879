// Published ports: host port checks (berth's own rules on the whole host + every socket of the
// host), random and ranged host ports, and the per-network nft table that DNATs them.
#include <algorithm>
#include <random>
#include <set>

#include "base/error.hpp"
#include "base/log.hpp"
#include "network/host_ports.hpp"
#include "network/manager_impl.hpp"
#include "network/nft.hpp"

namespace berth::network {
namespace {

constexpr uint16_t kRandomFirst = 49153, kRandomLast = 65535;

std::string describe(const std::string& proto, const std::string& host_ip, uint16_t port) {
  return (host_ip.empty() ? std::string("0.0.0.0") : host_ip) + ":" + std::to_string(port) + "/" + proto;
}

bool clashes(const std::string& ip_a, const std::string& ip_b) { return ip_a.empty() || ip_b.empty() || ip_a == ip_b; }

void validate(const PortMapping& m) {
  if (m.protocol != "tcp" && m.protocol != "udp")
    throw UserError("port " + std::to_string(m.container_port) + "/" + m.protocol + ": only tcp and udp can be published");
  if (m.container_port == 0) throw UserError("published port: container port 0 is not valid");
  if (!m.host_ip.empty() && !IpAddress::try_parse(m.host_ip))
    throw UserError("published port " + std::to_string(m.container_port) + ": invalid host IP \"" + m.host_ip + "\"");
  if (m.host_port_end && m.host_port_end < m.host_port)
    throw UserError("published port range " + std::to_string(m.host_port) + "-" + std::to_string(m.host_port_end) +
                    " is empty");
}

// Who has the port: a berth container (from the kernel rule comments), a request of this same
// batch, or a host process; nullopt when free.
struct PortChecker {
  std::vector<KernelPort> kernel;
  std::vector<std::string> replaced;  // containers whose old mappings are being replaced
  std::vector<PortRecord> claimed;

  bool is_replaced(const std::string& id) const {
    return std::find(replaced.begin(), replaced.end(), id) != replaced.end();
  }

  std::optional<std::string> holder(const std::string& proto, const std::string& ip, uint16_t port) const {
    for (const auto& k : kernel)
      if (!is_replaced(k.container_id) && k.protocol == proto && k.port == port && clashes(k.host_ip, ip))
        return "berth container " + k.container_id.substr(0, 12);
    for (const auto& c : claimed)
      if (c.protocol == proto && c.host_port == port && clashes(c.host_ip, ip)) return std::string("this same request");
    return host_port_holder(proto, ip, port);
  }

  uint16_t resolve(const PortMapping& m) const {
    if (m.host_port && !m.host_port_end) {
      if (auto h = holder(m.protocol, m.host_ip, m.host_port))
        throw UserError("cannot publish " + describe(m.protocol, m.host_ip, m.host_port) + ": port is already allocated (" +
                        *h + ")");
      return m.host_port;
    }
    uint16_t first = m.host_port ? m.host_port : kRandomFirst;
    uint16_t last = m.host_port ? m.host_port_end : kRandomLast;
    uint32_t span = static_cast<uint32_t>(last - first) + 1;
    uint32_t start = m.host_port ? 0 : std::random_device{}() % span;
    for (uint32_t i = 0; i < span; ++i) {
      auto port = static_cast<uint16_t>(first + (start + i) % span);
      if (!holder(m.protocol, m.host_ip, port)) return port;
    }
    throw UserError("cannot publish " + std::to_string(m.container_port) + "/" + m.protocol + ": no free host port in " +
                    std::to_string(first) + "-" + std::to_string(last));
  }
};

PublishedPort to_published(const NetworkRecord& rec, const PortRecord& p) {
  PublishedPort out{p.container_id, rec.name, p.host_ip, p.host_port, p.container_port, p.protocol, ""};
  if (auto it = rec.endpoints.find(p.container_id); it != rec.endpoints.end()) {
    bool v6 = !p.host_ip.empty() && IpAddress::parse(p.host_ip).is_v6();
    const auto& a = v6 ? it->second.ipv6 : it->second.ipv4;
    if (a) out.container_ip = a->str();
  }
  return out;
}

}  // namespace

std::vector<PortMapping> expand_port_range(const std::string& host_ip, uint16_t host_start, uint16_t host_end,
                                           uint16_t container_start, uint16_t container_end,
                                           const std::string& protocol) {
  if (!container_end) container_end = container_start;
  if (host_start && !host_end) host_end = host_start;
  if (container_end < container_start || (host_start && host_end < host_start))
    throw UserError("invalid port range " + std::to_string(host_start) + "-" + std::to_string(host_end) + ":" +
                    std::to_string(container_start) + "-" + std::to_string(container_end));
  std::vector<PortMapping> out;
  uint32_t count = static_cast<uint32_t>(container_end - container_start) + 1;
  if (!host_start) {
    for (uint32_t i = 0; i < count; ++i)
      out.push_back({host_ip, 0, 0, static_cast<uint16_t>(container_start + i), protocol});
    return out;
  }
  uint32_t host_count = static_cast<uint32_t>(host_end - host_start) + 1;
  if (host_count == count) {
    for (uint32_t i = 0; i < count; ++i)
      out.push_back({host_ip, static_cast<uint16_t>(host_start + i), 0, static_cast<uint16_t>(container_start + i), protocol});
    return out;
  }
  if (count == 1) return {{host_ip, host_start, host_end, container_start, protocol}};
  throw UserError("port ranges do not match: " + std::to_string(host_count) + " host ports for " +
                  std::to_string(count) + " container ports");
}

void NetworkManager::check_ports(const std::vector<PortMapping>& mappings,
                                 const std::vector<std::string>& replaced) const {
  PortChecker checker{kernel_published_ports(), replaced, {}};
  for (const auto& m : mappings) {
    validate(m);
    uint16_t port = checker.resolve(m);
    checker.claimed.push_back({"", m.host_ip, port, m.container_port, m.protocol});
  }
}

std::vector<PublishedPort> NetworkManager::publish(const std::string& container_id,
                                                   const std::vector<PortMapping>& mappings,
                                                   const std::string& network) {
  auto& d = *impl_;
  for (const auto& m : mappings) validate(m);
  auto l = d.lock();
  auto records = d.store.load_all();
  NetworkRecord* target = nullptr;
  uint64_t best = UINT64_MAX;
  for (auto& rec : records) {
    auto it = rec.endpoints.find(container_id);
    if (it == rec.endpoints.end() || !it->second.active) continue;
    if (!network.empty()) {
      if (rec.name == network) target = &rec;
    } else if (!rec.internal && it->second.seq < best) {
      best = it->second.seq;
      target = &rec;
    }
  }
  if (!target && !mappings.empty())
    throw UserError("cannot publish ports of container " + container_id.substr(0, 12) + ": it is not attached to " +
                    (network.empty() ? std::string("any non-internal network") : "network " + network));

  PortChecker checker{kernel_published_ports(), {container_id}, {}};
  std::vector<PortRecord> fresh;
  for (const auto& m : mappings) {
    PortRecord p{container_id, m.host_ip.empty() ? "" : IpAddress::parse(m.host_ip).str(), checker.resolve(m),
                 m.container_port, m.protocol};
    checker.claimed.push_back(p);
    fresh.push_back(p);
  }
  std::vector<PublishedPort> out;
  for (auto& rec : records) {
    auto before = rec.ports;
    bool removed = std::erase_if(rec.ports, [&](const PortRecord& p) { return p.container_id == container_id; }) > 0;
    bool is_target = &rec == target;
    if (is_target) rec.ports.insert(rec.ports.end(), fresh.begin(), fresh.end());
    if (!removed && !is_target) continue;
    d.store.save(rec);
    try {
      apply_network_table(rec);
    } catch (...) {
      rec.ports = before;  // all or nothing: the old rules stay
      d.store.save(rec);
      throw;
    }
    if (is_target)
      for (const auto& p : fresh) out.push_back(to_published(rec, p));
  }
  return out;
}

std::vector<PublishedPort> NetworkManager::published(const std::string& container_id) const {
  std::vector<PublishedPort> out;
  for (const auto& p : all_published())
    if (p.container_id == container_id) out.push_back(p);
  return out;
}

std::vector<PublishedPort> NetworkManager::all_published() const {
  std::vector<PublishedPort> out;
  for (const auto& rec : impl_->store.load_all())
    for (const auto& p : rec.ports) out.push_back(to_published(rec, p));
  return out;
}

}  // namespace berth::network
