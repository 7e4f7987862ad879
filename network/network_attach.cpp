// Containers joining and leaving networks: leases, veth pairs, addresses, routes, DNS names.
#include <algorithm>
#include <chrono>
#include <set>

#include "base/error.hpp"
#include "base/log.hpp"
#include "base/netns.hpp"
#include "base/rollback.hpp"
#include "network/ipam.hpp"
#include "network/manager_impl.hpp"
#include "network/naming.hpp"
#include "network/netlink.hpp"
#include "network/nft.hpp"

namespace berth::network {
namespace {

std::set<IpAddress> used_addresses(const NetworkRecord& rec, const std::string& except_container) {
  std::set<IpAddress> used;
  if (rec.gateway4) used.insert(*rec.gateway4);
  if (rec.gateway6) used.insert(*rec.gateway6);
  for (const auto& [id, e] : rec.endpoints) {
    if (id == except_container) continue;
    if (e.ipv4) used.insert(*e.ipv4);
    if (e.ipv6) used.insert(*e.ipv6);
  }
  return used;
}

// Static address if asked, else the container's previous lease if still valid, else a new one.
std::optional<IpAddress> lease(const NetworkRecord& rec, const Endpoint& old, const std::optional<IpAddress>& wanted,
                               const std::optional<Subnet>& subnet, const std::optional<Subnet>& range,
                               const std::optional<IpAddress>& previous, const std::string& who, bool& is_static) {
  if (!subnet) {
    if (wanted)
      throw UserError(who + ": network " + rec.name + " has no IPv" + (wanted->is_v4() ? "4" : "6") +
                      " subnet for address " + wanted->str());
    return std::nullopt;
  }
  auto used = used_addresses(rec, old.container_id);
  if (wanted) {
    check_static_address(*wanted, *subnet, used, who + " on network " + rec.name);
    is_static = true;
    return wanted;
  }
  is_static = false;
  if (previous && subnet->contains(*previous) && !used.count(*previous)) return previous;
  auto a = pick_address(*subnet, range, used);
  if (!a) throw UserError("network " + rec.name + ": no free address left in " + (range ? range : subnet)->str());
  return a;
}

std::string next_interface(Netlink& ns, const std::string& preferred) {
  auto names = ns.link_names();
  std::set<std::string> present(names.begin(), names.end());
  if (!preferred.empty() && !present.count(preferred)) return preferred;
  for (int i = 0;; ++i)
    if (!present.count("eth" + std::to_string(i))) return "eth" + std::to_string(i);
}

}  // namespace

Attachment NetworkManager::Impl::attachment(const NetworkRecord& rec, const Endpoint& e) const {
  Attachment a;
  a.network = rec.name;
  a.interface = e.interface;
  if (e.ipv4) {
    a.ipv4 = e.ipv4->str();
    a.prefix4 = rec.subnet4->prefix();
    if (!rec.internal && rec.gateway4) a.gateway4 = rec.gateway4->str();
  }
  if (e.ipv6) {
    a.ipv6 = e.ipv6->str();
    a.prefix6 = rec.subnet6->prefix();
    if (!rec.internal && rec.gateway6) a.gateway6 = rec.gateway6->str();
  }
  a.mac = e.mac;
  a.dns_server = rec.gateway4 ? rec.gateway4->str() : rec.gateway6 ? rec.gateway6->str() : "";
  a.host_gateway = a.dns_server;
  return a;
}

// Two steps, so that the kernel work of parallel starts runs in parallel: under the network lock
// the lease is taken and recorded (with the DNS names); then, without the lock, the veth pair is
// made and the container's side configured; only this container's namespace and links are
// touched, and the bridge cannot go while the endpoint is recorded active. A failure there gives
// the lease back.
Attachment NetworkManager::attach(const std::string& network, const AttachRequest& req) {
  auto& d = *impl_;
  if (req.container_id.empty()) throw UserError("attach to " + network + ": no container id");
  const std::string who = req.container_name.empty() ? req.container_id.substr(0, 12) : req.container_name;
  for (const auto& s : req.dns_servers) parse_upstream(s);  // clear error for a bad `dns:` entry
  UniqueFd nsfd = with_context("attach " + who + " to " + network, [&] { return open_netns(req.netns_path); });
  Netlink inside = Netlink::in_netns(nsfd.get());

  NetworkRecord rec;
  Endpoint old, e;
  int bridge = 0;
  Mac mac;
  {
    auto l = d.lock();
    rec = d.load_or_throw(network);
    old.container_id = req.container_id;
    if (auto it = rec.endpoints.find(req.container_id); it != rec.endpoints.end()) old = it->second;
    e = old;
    e.container_name = req.container_name;
    e.netns_path = req.netns_path;
    e.dns_names = req.dns_names;
    e.link_aliases = req.link_aliases;
    e.dns_servers = req.dns_servers;
    e.ipv4 = lease(rec, old, req.ipv4, rec.subnet4, rec.range4, old.ipv4, who, e.static_ipv4);
    e.ipv6 = lease(rec, old, req.ipv6, rec.subnet6, rec.range6, old.ipv6, who, e.static_ipv6);
    mac = req.mac_address ? parse_mac(*req.mac_address)
          : e.ipv4        ? mac_for(*e.ipv4)
                          : mac_from_seed(rec.id + req.container_id);
    e.mac = mac_str(mac);
    e.host_veth = host_veth_name(rec.id, req.container_id);
    e.interface = req.interface.empty() ? next_interface(inside, old.interface) : req.interface;
    Netlink host;
    auto index = host.ifindex(rec.bridge);
    if (!index) {  // lost (reboot, crash): rebuild the network first
      auto hl = d.host_lock();
      d.build_kernel(rec);
      index = host.ifindex(rec.bridge);
    }
    bridge = *index;
    e.active = true;
    e.seq = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    rec.endpoints[req.container_id] = e;
    d.store.save(rec);
    // Pin the port to the container's MAC and addresses BEFORE the veth exists: a port of the
    // network's interface group that is not pinned sends nothing.
    if (old.active) {
      apply_network_table(rec);  // re-attach: the old pins (maybe another MAC) go
    } else {
      try {
        add_guard_elements(rec, e);
      } catch (const SysError& err) {
        log::debug("pinning {}: {}; re-rendering the tables", e.host_veth, err.what());
        apply_network_table(rec);
      }
    }
    d.sync_dns(&rec);
  }

  try {
    Netlink host;
    // An earlier attach of this container to this network left its veth: start over (rare path).
    if (host.ifindex(e.host_veth)) host.delete_link(e.host_veth);
    Rollback rb;
    host.create_veth(e.host_veth, bridge, rec.mtu, e.interface, nsfd.get(), mac, interface_group(rec.bridge));
    rb.add([&] { Netlink().delete_link(e.host_veth); });
    host.set_hairpin(e.host_veth);  // a container reaching its own published port
    inside.set_up("lo");
    inside.set_up(e.interface);
    if (e.ipv4) inside.add_address(e.interface, *e.ipv4, rec.subnet4->prefix());
    if (e.ipv6) inside.add_address(e.interface, *e.ipv6, rec.subnet6->prefix());
    // The first non-internal network of the container gives it its way out.
    if (!rec.internal) {
      if (e.ipv4 && rec.gateway4) inside.add_default_route(*rec.gateway4, e.interface);
      if (e.ipv6 && rec.gateway6) inside.add_default_route(*rec.gateway6, e.interface);
    }
    rb.dismiss();
  } catch (...) {
    auto l = d.lock();
    if (auto cur = d.store.load(network)) {
      if (old.container_id.empty() || (!old.ipv4 && !old.ipv6))
        cur->endpoints.erase(req.container_id);
      else
        cur->endpoints[req.container_id] = old;
      d.store.save(*cur);
      try {
        apply_network_table(*cur);  // unpins the port (or pins the old endpoint again)
      } catch (const std::exception& err) {
        log::warn("attach {} to {}: rules not put back: {}", who, network, err.what());
      }
      d.sync_dns();
    }
    throw;
  }
  log::debug("attached {} to {}: {} {}", who, network, e.interface, e.ipv4 ? e.ipv4->str() : "");
  return d.attachment(rec, e);
}

void NetworkManager::detach(const std::string& network, const std::string& container_id, bool delete_link) {
  auto& d = *impl_;
  auto l = d.lock();
  auto rec = d.load_or_throw(network);
  auto it = rec.endpoints.find(container_id);
  if (it == rec.endpoints.end()) return;
  bool was_active = it->second.active;
  it->second.active = false;
  bool had_ports = std::erase_if(rec.ports, [&](const PortRecord& p) { return p.container_id == container_id; }) > 0;
  d.store.save(rec);
  if (had_ports)
    apply_network_table(rec);
  else if (was_active)
    remove_guard_elements(rec, it->second);
  if (delete_link && !it->second.host_veth.empty()) Netlink().delete_link(it->second.host_veth);
  d.sync_dns();
}

void NetworkManager::detach_all(const std::string& container_id, bool delete_links) {
  auto& d = *impl_;
  auto l = d.lock();
  bool changed = false;
  for (auto rec : d.store.load_all()) {
    auto it = rec.endpoints.find(container_id);
    if (it == rec.endpoints.end()) continue;
    bool was_active = it->second.active;
    it->second.active = false;
    bool had_ports = std::erase_if(rec.ports, [&](const PortRecord& p) { return p.container_id == container_id; }) > 0;
    if (!was_active && !had_ports) continue;
    d.store.save(rec);
    if (had_ports)
      apply_network_table(rec);
    else
      remove_guard_elements(rec, it->second);
    if (delete_links && !it->second.host_veth.empty()) Netlink().delete_link(it->second.host_veth);
    changed = true;
  }
  if (changed) d.sync_dns();
}

void NetworkManager::release(const std::string& container_id) { release(std::vector<std::string>{container_id}); }

void NetworkManager::release(const std::vector<std::string>& container_ids) {
  auto& d = *impl_;
  auto l = d.lock();
  std::set<std::string> ids(container_ids.begin(), container_ids.end());
  bool changed = false;
  for (auto rec : d.store.load_all()) {
    bool had_ports = std::erase_if(rec.ports, [&](const PortRecord& p) { return ids.count(p.container_id) > 0; }) > 0;
    bool had_active = false;
    for (const auto& [id, e] : rec.endpoints) had_active = had_active || (ids.count(id) && e.active);
    bool had_endpoints = std::erase_if(rec.endpoints, [&](const auto& e) { return ids.count(e.first) > 0; }) > 0;
    if (!had_ports && !had_endpoints) continue;
    d.store.save(rec);
    if (had_ports || had_active) apply_network_table(rec);  // ports and pins of the released go
    changed = true;
  }
  // Their veths go with their network namespaces (the kernel reaps them in the background).
  if (changed) d.sync_dns();
}

std::vector<Attachment> NetworkManager::attachments(const std::string& container_id) const {
  std::vector<Attachment> out;
  std::vector<std::pair<uint64_t, Attachment>> seqs;
  for (const auto& rec : impl_->store.load_all()) {
    auto it = rec.endpoints.find(container_id);
    if (it != rec.endpoints.end() && it->second.active) seqs.emplace_back(it->second.seq, impl_->attachment(rec, it->second));
  }
  std::sort(seqs.begin(), seqs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [seq, a] : seqs) out.push_back(std::move(a));
  return out;
}

}  // namespace berth::network
