#include "network/network_manager.hpp"

#include <ctime>
#include <set>

#include "base/error.hpp"
#include "base/name_limits.hpp"
#include "base/file_io.hpp"
#include "base/log.hpp"
#include "base/rollback.hpp"
#include "network/container_files.hpp"
#include "network/ipam.hpp"
#include "network/manager_impl.hpp"
#include "network/naming.hpp"
#include "network/netlink.hpp"
#include "network/nft.hpp"

namespace berth::network {

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

NetworkManager::Impl::Impl(const StatePaths& p, NetworkOptions o)
    : paths(p),
      opts(std::move(o)),
      store(p.root / "networks"),
      dns(p.runtime / "network", opts.dns_program),
      host(opts.host_dir) {}

NetworkManager::NetworkManager(const StatePaths& paths, NetworkOptions options)
    : impl_(std::make_unique<Impl>(paths, std::move(options))) {}
NetworkManager::~NetworkManager() = default;

NetworkRecord NetworkManager::Impl::load_or_throw(const std::string& name) const {
  auto rec = store.load(name);
  if (!rec) throw UserError("network " + name + " not found");
  return *rec;
}

int NetworkManager::Impl::default_mtu() const {
  try {
    Netlink nl;
    if (auto index = nl.default_route_ifindex())
      if (auto name = nl.link_name(*index))
        if (auto mtu = nl.link_mtu(*name)) return *mtu;
  } catch (const std::exception& e) {
    log::debug("no default route MTU: {}", e.what());
  }
  return 1500;
}

std::vector<std::string> NetworkManager::Impl::upstreams() const {
  if (!opts.dns_upstreams.empty()) return opts.dns_upstreams;
  if (const char* env = std::getenv("BERTH_DNS_UPSTREAMS"); env && *env) {
    std::vector<std::string> out;
    std::string s = env;
    size_t start = 0;
    while (start <= s.size()) {
      size_t comma = s.find(',', start);
      std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!item.empty()) out.push_back(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return out;
  }
  auto text = try_read_file("/etc/resolv.conf");
  return text ? parse_resolv_nameservers(*text) : std::vector<std::string>{};
}

std::vector<Subnet> NetworkManager::Impl::taken_subnets(const std::string& except_network) const {
  std::vector<Subnet> out;
  Netlink nl;
  for (const auto& r : nl.routes())
    if (r.dst.prefix() > 0) out.push_back(r.dst);
  for (const auto& a : nl.addresses()) out.emplace_back(a.address, a.address.bits());
  if (auto text = try_read_file("/etc/resolv.conf"))
    for (const auto& ns : parse_resolv_nameservers(*text))
      if (auto a = IpAddress::try_parse(ns)) out.emplace_back(*a, a->bits());
  for (const auto& up : upstreams()) {
    try {
      auto a = parse_upstream(up).first;
      out.emplace_back(a, a.bits());
    } catch (const std::exception&) {
    }
  }
  for (const auto& rec : store.load_all()) {
    if (rec.name == except_network) continue;
    if (rec.subnet4) out.push_back(*rec.subnet4);
    if (rec.subnet6) out.push_back(*rec.subnet6);
  }
  return out;
}

void NetworkManager::Impl::build_kernel(const NetworkRecord& rec) {
  Netlink nl;
  if (!nl.ifindex(rec.bridge))
    nl.create_bridge(rec.bridge, rec.mtu, mac_from_seed(rec.id));
  else
    nl.set_up(rec.bridge);
  if (rec.gateway4) nl.add_address(rec.bridge, *rec.gateway4, rec.subnet4->prefix());
  if (rec.gateway6) nl.add_address(rec.bridge, *rec.gateway6, rec.subnet6->prefix());
  // The host's own 127.0.0.1:PORT is DNATed onto this bridge: allow 127/8 sources on it. The
  // network's inet table drops 127/8 arriving FROM the bridge (see render_network_table).
  write_sysctl("net/ipv4/conf/" + rec.bridge + "/route_localnet", "1");
  if (!rec.internal) host.set("net/ipv4/ip_forward", "1");  // caller holds the host lock
  apply_network_table(rec);
}

void NetworkManager::Impl::teardown_kernel(const NetworkRecord& rec, bool endpoints_too) {
  delete_network_tables(rec.bridge);
  Netlink nl;
  if (endpoints_too)
    for (const auto& [id, e] : rec.endpoints)
      if (!e.host_veth.empty()) nl.delete_link(e.host_veth);
  nl.delete_link(rec.bridge);
}

void NetworkManager::Impl::restore_host_if_unused() {
  auto hl = host_lock();
  if (!host.has_record()) return;
  for (const auto& name : Netlink().link_names())
    if (name.rfind(kBridgePrefix, 0) == 0) return;
  host.restore_all();
}

void NetworkManager::Impl::sync_dns(const NetworkRecord* current) {
  DnsTable t;
  t.upstreams = upstreams();
  for (const auto& rec : store.load_all(current)) {
    DnsNetwork n;
    n.name = rec.name;
    if (rec.gateway4) n.listen.push_back(*rec.gateway4);
    if (rec.gateway6) n.listen.push_back(*rec.gateway6);
    for (const auto& [id, e] : rec.endpoints) {
      if (!e.active) continue;
      n.endpoints.push_back({e.container_id, e.ipv4, e.ipv6, e.dns_names, e.link_aliases, e.dns_servers});
    }
    t.networks.push_back(std::move(n));
  }
  std::string problem = dns.apply(t);
  if (!problem.empty()) log::warn("embedded DNS: {}", problem);
}

NetworkInfo NetworkManager::Impl::info(const NetworkRecord& r) const {
  NetworkInfo i;
  i.name = r.name;
  i.id = r.id;
  i.bridge = r.bridge;
  i.driver = r.driver;
  i.internal = r.internal;
  i.enable_ipv6 = r.enable_ipv6;
  i.subnet4 = r.subnet4;
  i.subnet6 = r.subnet6;
  i.gateway4 = r.gateway4;
  i.gateway6 = r.gateway6;
  i.mtu = r.mtu;
  i.labels = r.labels;
  i.created = r.created;
  for (const auto& [id, e] : r.endpoints)
    if (e.active) i.containers.push_back(id);
  return i;
}

namespace {

struct FamilyConfig {
  std::optional<Subnet> subnet;
  std::optional<IpAddress> gateway;
  std::optional<Subnet> range;
};

// Splits ipam entries by family; at most one of each.
void split_ipam(const NetworkSpec& spec, FamilyConfig& v4, FamilyConfig& v6) {
  for (const auto& c : spec.ipam) {
    std::optional<IpAddress::Family> fam;
    if (c.subnet) fam = c.subnet->family();
    else if (c.gateway) fam = c.gateway->family();
    else if (c.ip_range) fam = c.ip_range->family();
    if (!fam) continue;
    FamilyConfig& f = *fam == IpAddress::Family::V4 ? v4 : v6;
    if (f.subnet || f.gateway)
      throw UserError("network " + spec.name + ": more than one ipam config for IPv" +
                      (*fam == IpAddress::Family::V4 ? "4" : "6") + " is not supported");
    if (!c.subnet && (c.gateway || c.ip_range))
      throw UserError("network " + spec.name + ": ipam gateway/ip_range needs a subnet");
    f = {c.subnet, c.gateway, c.ip_range};
    if (f.subnet) check_ipam(*f.subnet, f.gateway, f.range, spec.name);
  }
}

void check_compatible(const NetworkRecord& rec, const NetworkSpec& spec) {
  FamilyConfig v4, v6;
  split_ipam(spec, v4, v6);
  auto differs = [&](const std::string& what, const std::string& have, const std::string& want) {
    throw UserError("network " + spec.name + " exists with " + what + " " + have + " but the project wants " + want +
                    "; remove it first (berth down, or berth network rm " + spec.name + ")");
  };
  if (v4.subnet && rec.subnet4 != v4.subnet) differs("subnet", rec.subnet4 ? rec.subnet4->str() : "none", v4.subnet->str());
  if (v6.subnet && rec.subnet6 != v6.subnet) differs("subnet", rec.subnet6 ? rec.subnet6->str() : "none", v6.subnet->str());
  if (v4.gateway && rec.gateway4 != v4.gateway) differs("gateway", rec.gateway4 ? rec.gateway4->str() : "none", v4.gateway->str());
  if (rec.internal != spec.internal)
    differs("internal", rec.internal ? "true" : "false", spec.internal ? "true" : "false");
  if (spec.enable_ipv6 && !rec.enable_ipv6) differs("enable_ipv6", "false", "true");
}

}  // namespace

NetworkInfo NetworkManager::ensure(const NetworkSpec& spec) {
  auto& d = *impl_;
  if (!valid_network_name(spec.name))
    throw UserError("invalid network name \"" + shown_name(spec.name) + "\" (letters, digits, '_', '.', '-'; at most " +
                    std::to_string(kMaxNameLength) + " characters)");
  if (!spec.driver.empty() && spec.driver != "bridge")
    throw UserError("network " + spec.name + ": driver \"" + spec.driver + "\" is not supported (only bridge)");
  auto l = d.lock();
  if (auto rec = d.store.load(spec.name)) {
    if (!spec.external) check_compatible(*rec, spec);
    {
      auto hl = d.host_lock();
      d.build_kernel(*rec);
    }  // repairs what a crash or a reboot took away
    d.sync_dns();
    return d.info(*rec);
  }
  if (spec.external) throw UserError("network " + spec.name + " declared as external, but could not be found");

  FamilyConfig v4, v6;
  split_ipam(spec, v4, v6);
  NetworkRecord rec;
  rec.name = spec.name;
  rec.id = random_id();
  rec.bridge = bridge_name(d.paths.root, spec.name);
  rec.created = now_rfc3339();
  rec.internal = spec.internal;
  rec.enable_ipv6 = spec.enable_ipv6 || v6.subnet.has_value();
  rec.labels = spec.labels;
  rec.driver_opts = spec.driver_opts;
  rec.mtu = d.default_mtu();
  if (auto it = spec.driver_opts.find("com.docker.network.driver.mtu"); it != spec.driver_opts.end()) {
    try {
      rec.mtu = std::stoi(it->second);
    } catch (...) {
      rec.mtu = 0;
    }
    if (rec.mtu < 576 || rec.mtu > 65535) throw UserError("network " + spec.name + ": invalid MTU \"" + it->second + "\"");
  }

  // A leftover bridge/table of the same derived name (state lost in a crash) is replaced.
  {
    Netlink nl;
    if (nl.ifindex(rec.bridge)) {
      log::debug("removing leftover bridge {}", rec.bridge);
      nl.delete_link(rec.bridge);
    }
    delete_network_tables(rec.bridge);
  }

  auto hl = d.host_lock();  // subnet choice and bridge creation are atomic host-wide
  auto taken = d.taken_subnets(spec.name);
  auto pick = [&](FamilyConfig& f, const Subnet& pool, int prefix, bool user_asked_ipv6) -> std::optional<Subnet> {
    if (f.subnet) {
      if (auto o = find_overlap(*f.subnet, taken))
        throw UserError("network " + spec.name + ": subnet " + f.subnet->str() + " overlaps " + o->str() +
                        " (a host route/address, resolver or another berth network)");
      return f.subnet;
    }
    auto s = pick_subnet(pool, prefix, taken);
    if (!s)
      throw UserError(std::string("network ") + spec.name + ": no free " + (user_asked_ipv6 ? "IPv6" : "IPv4") +
                      " subnet left in the pool " + pool.str());
    return s;
  };
  rec.subnet4 = pick(v4, d.opts.pool4, d.opts.pool4_prefix, false);
  rec.user_subnet4 = v4.subnet.has_value();
  rec.gateway4 = v4.gateway ? *v4.gateway : rec.subnet4->host(1);
  rec.range4 = v4.range;
  if (rec.enable_ipv6) {
    rec.subnet6 = pick(v6, d.opts.pool6, d.opts.pool6_prefix, true);
    rec.user_subnet6 = v6.subnet.has_value();
    rec.gateway6 = v6.gateway ? *v6.gateway : rec.subnet6->host(1);
    rec.range6 = v6.range;
  }

  Rollback rb;
  d.store.save(rec);
  rb.add([&] { d.store.erase(rec.name); });
  rb.add([&] { d.teardown_kernel(rec, false); });
  d.build_kernel(rec);
  d.sync_dns();
  rb.dismiss();
  log::debug("network {} created: bridge {} subnet {}", rec.name, rec.bridge, rec.subnet4->str());
  return d.info(rec);
}

void NetworkManager::remove(const std::string& name, bool force) {
  auto& d = *impl_;
  auto l = d.lock();
  auto rec = d.load_or_throw(name);
  std::vector<std::string> active;
  for (const auto& [id, e] : rec.endpoints)
    if (e.active) active.push_back(e.container_name.empty() ? id.substr(0, 12) : e.container_name);
  if (!active.empty() && !force) {
    std::string list;
    for (const auto& a : active) list += (list.empty() ? "" : ", ") + a;
    throw UserError("network " + name + " has active endpoints (" + list + ")");
  }
  d.teardown_kernel(rec, force);
  d.store.erase(name);
  d.sync_dns();
  d.restore_host_if_unused();
}

std::optional<NetworkInfo> NetworkManager::find(const std::string& name) const {
  auto rec = impl_->store.load(name);
  if (!rec) return std::nullopt;
  return impl_->info(*rec);
}

std::vector<NetworkInfo> NetworkManager::list() const {
  std::vector<NetworkInfo> out;
  for (const auto& rec : impl_->store.load_all()) out.push_back(impl_->info(rec));
  return out;
}

std::string NetworkManager::dns_server_address(const std::string& network) const {
  auto rec = impl_->load_or_throw(network);
  return rec.gateway4 ? rec.gateway4->str() : rec.gateway6 ? rec.gateway6->str() : "";
}

void NetworkManager::converge() {
  auto& d = *impl_;
  auto l = d.lock();
  {
    auto hl = d.host_lock();
    for (const auto& rec : d.store.load_all()) d.build_kernel(rec);
  }
  d.sync_dns();
  d.restore_host_if_unused();
}

}  // namespace berth::network
