#include "network/nft.hpp"

#include <memory>
#include <sstream>

#include "base/error.hpp"
#include "base/log.hpp"
#include "network/naming.hpp"
#include "network/nft_library.hpp"

namespace berth::network {
namespace {

struct CtxFree {
  void operator()(nft_ctx* c) const noexcept { nft_library().ctx_free(c); }
};
using Ctx = std::unique_ptr<nft_ctx, CtxFree>;

Ctx make_ctx() {
  const NftLibrary& nft = nft_library();
  Ctx ctx(nft.ctx_new(NFT_CTX_DEFAULT));
  if (!ctx) throw_sys(ENOMEM, "nft_ctx_new");
  nft.ctx_buffer_output(ctx.get());
  nft.ctx_buffer_error(ctx.get());
  return ctx;
}

std::string run(nft_ctx* ctx, const std::string& commands) {
  const NftLibrary& nft = nft_library();
  if (nft.run_cmd_from_buffer(ctx, commands.c_str()) != 0) {
    std::string err = nft.ctx_get_error_buffer(ctx);
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    log::debug("nft input that failed:\n{}", commands);
    throw SysError(EINVAL, "nft", err.substr(0, 400));
  }
  return nft.ctx_get_output_buffer(ctx);
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// An IPv6 address as the 128-bit integer a raw payload expression compares with.
std::string ipv6_integer(const IpAddress& a) {
  static const char* hex = "0123456789abcdef";
  std::string s = "0x";
  for (int i = 0; i < 16; ++i) {
    s.push_back(hex[a.bytes()[i] >> 4]);
    s.push_back(hex[a.bytes()[i] & 15]);
  }
  return s;
}

bool guarded(const Endpoint& e) { return e.active && !e.host_veth.empty() && !e.mac.empty(); }

// The set elements that pin one port, by set name.
std::vector<std::pair<std::string, std::string>> guard_elements(const Endpoint& e) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string port = quoted(e.host_veth) + " . ";
  out.emplace_back("port_mac", port + e.mac);
  if (e.ipv4) out.emplace_back("port_ip4", port + e.ipv4->str());
  if (e.ipv6) {
    out.emplace_back("port_ip6", port + e.ipv6->str());
    out.emplace_back("port_nd", port + ipv6_integer(*e.ipv6));
  }
  return out;
}

std::string render_loopback_chain(const NetworkRecord& rec) {
  // CVE-2020-8558: the bridge has route_localnet (for the host's 127.0.0.1:PORT DNATed onto it),
  // which would also let a container's packet to 127.0.0.0/8 (sent to the gateway's MAC) reach
  // services the host bound on loopback. Nothing from a bridge may carry a loopback address,
  // either way; dropped before conntrack (priority raw), so the replies of the host's own
  // 127.0.0.1 connections, which arrive addressed to the masqueraded gateway, still pass.
  const std::string br = quoted(rec.bridge);
  std::ostringstream t;
  t << "  chain loopback {\n    type filter hook prerouting priority raw; policy accept;\n";
  t << "    iifname " << br << " ip daddr 127.0.0.0/8 drop\n";
  t << "    iifname " << br << " ip saddr 127.0.0.0/8 drop\n";
  t << "    iifname " << br << " ip6 daddr ::1 drop\n";
  t << "    iifname " << br << " ip6 saddr ::1 drop\n";
  t << "  }\n";
  return t.str();
}

}  // namespace

void nft_run(const std::string& commands) {
  auto ctx = make_ctx();
  run(ctx.get(), commands);
}

std::string nft_list(const std::string& command) {
  auto ctx = make_ctx();
  return run(ctx.get(), command);
}

std::string port_comment(const PortRecord& p) {
  return "berth-port " + p.protocol + " " + (p.host_ip.empty() ? "*" : p.host_ip) + " " +
         std::to_string(p.host_port) + " " + p.container_id;
}

std::optional<KernelPort> parse_port_comment(const std::string& comment) {
  std::istringstream in(comment);
  std::string tag, proto, ip, port, cid;
  if (!(in >> tag >> proto >> ip >> port >> cid) || tag != "berth-port") return std::nullopt;
  KernelPort k;
  k.protocol = proto;
  k.host_ip = ip == "*" ? "" : ip;
  try {
    k.port = static_cast<uint16_t>(std::stoul(port));
  } catch (...) {
    return std::nullopt;
  }
  k.container_id = cid;
  return k;
}

std::string render_network_table(const NetworkRecord& rec) {
  const std::string br = quoted(rec.bridge);
  std::ostringstream t;
  t << "table inet " << table_name(rec.bridge) << " {\n";
  t << render_loopback_chain(rec);
  t << "  chain prerouting { type nat hook prerouting priority dstnat; policy accept; jump ports; }\n";
  t << "  chain output { type nat hook output priority -100; policy accept; jump ports; }\n";
  t << "  chain ports {\n";
  for (const auto& p : rec.ports) {
    auto it = rec.endpoints.find(p.container_id);
    if (it == rec.endpoints.end() || !it->second.active) continue;
    const Endpoint& e = it->second;
    std::optional<IpAddress> hip;
    if (!p.host_ip.empty()) hip = IpAddress::parse(p.host_ip);
    // The target family follows the host address; "all addresses" maps IPv4 (and IPv6 when the
    // container has an IPv6 address).
    for (int fam : {4, 6}) {
      if (hip && hip->bits() != (fam == 4 ? 32 : 128)) continue;
      const auto& target = fam == 4 ? e.ipv4 : e.ipv6;
      if (!target) continue;
      t << "    ";
      if (hip)
        t << (fam == 4 ? "ip daddr " : "ip6 daddr ") << hip->str() << " ";
      else
        t << (fam == 4 ? "meta nfproto ipv4 " : "meta nfproto ipv6 ") << "fib daddr type local ";
      t << p.protocol << " dport " << p.host_port << " dnat " << (fam == 4 ? "ip" : "ip6") << " to ";
      if (fam == 4)
        t << target->str();
      else
        t << "[" << target->str() << "]";
      t << ":" << p.container_port << " comment " << quoted(port_comment(p)) << "\n";
    }
  }
  t << "  }\n";
  t << "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n";
  // The host's own 127.0.0.1:PORT, DNATed: the bridge has route_localnet; the container must
  // see a routable source to answer.
  t << "    oifname " << br << " ip saddr 127.0.0.0/8 masquerade\n";
  for (const auto& s : {rec.subnet4, rec.subnet6}) {
    if (!s) continue;
    const char* fam = s->family() == IpAddress::Family::V4 ? "ip" : "ip6";
    // Hairpin: a container reaching a published port of its own network.
    t << "    oifname " << br << " ct status dnat " << fam << " saddr " << s->str() << " masquerade\n";
    if (!rec.internal) t << "    " << fam << " saddr " << s->str() << " oifname != " << br << " masquerade\n";
  }
  t << "  }\n";
  t << "  chain forward {\n    type filter hook forward priority filter; policy accept;\n";
  // Networks are isolated from each other as Docker's are; internal ones from everything.
  t << "    iifname " << br << " oifname \"" << kBridgePrefix << "*\" oifname != " << br << " drop\n";
  if (rec.internal) {
    t << "    iifname " << br << " oifname != " << br << " drop\n";
    t << "    oifname " << br << " iifname != " << br << " drop\n";
  }
  t << "  }\n}\n";
  return t.str();
}

std::string render_guard_table(const NetworkRecord& rec) {
  std::ostringstream t;
  t << "table bridge " << table_name(rec.bridge) << " {\n";
  // One element per container port (its host veth) and address: what the port may claim.
  auto set = [&](const char* name, const char* type) {
    t << "  set " << name << " { " << type << ";";
    std::string elems;
    for (const auto& [id, e] : rec.endpoints) {
      if (!guarded(e)) continue;
      for (const auto& [s, el] : guard_elements(e))
        if (s == name) elems += (elems.empty() ? "" : ", ") + el;
    }
    if (!elems.empty()) t << " elements = { " << elems << " };";
    t << " }\n";
  };
  set("port_mac", "type ifname . ether_addr");
  set("port_ip4", "type ifname . ipv4_addr");
  set("port_ip6", "type ifname . ipv6_addr");
  set("port_nd", "typeof iifname . @th,64,128");  // the target address of a neighbour advertisement
  // Frames from the network's container ports (its veths are in the network's interface group);
  // the host's own frames (from the bridge device) do not pass this hook.
  t << "  chain prerouting {\n    type filter hook prerouting priority -300; policy accept;\n";
  t << "    iifgroup " << interface_group(rec.bridge) << " jump port\n  }\n";
  t << "  chain port {\n";
  // A port sends from its container's MAC only (so the bridge never learns another's MAC there),
  // only IPv4, IPv6 and ARP (no VLAN tags, no other protocols)...
  t << "    iifname . ether saddr != @port_mac drop\n";
  t << "    ether type != { ip, ip6, arp } drop\n";
  // ...ARP for Ethernet/IPv4 announcing its own MAC and address (0.0.0.0: an address probe)...
  t << "    arp htype != 1 drop\n    arp ptype != ip drop\n    arp hlen != 6 drop\n    arp plen != 4 drop\n";
  t << "    iifname . arp saddr ether != @port_mac drop\n";
  t << "    arp saddr ip != 0.0.0.0 iifname . arp saddr ip != @port_ip4 drop\n";
  // ...IP packets from its own addresses (IPv6 also from link-local ones and ::, for neighbour
  // discovery and duplicate address detection)...
  t << "    iifname . ip saddr != @port_ip4 drop\n";
  t << "    ip6 saddr != { ::, fe80::/10 } iifname . ip6 saddr != @port_ip6 drop\n";
  // ...no router advertisements or redirects, and neighbour advertisements for its own
  // addresses only (link-local targets aside).
  t << "    icmpv6 type { nd-router-advert, nd-redirect } drop\n";
  t << "    icmpv6 type nd-neighbor-advert @th,64,16 != 0xfe80 iifname . @th,64,128 != @port_nd drop\n";
  t << "  }\n}\n";
  return t.str();
}

std::string guard_element_commands(const std::string& verb, const NetworkRecord& rec, const Endpoint& e) {
  std::string out;
  for (const auto& [set, el] : guard_elements(e))
    out += verb + " element bridge " + table_name(rec.bridge) + " " + set + " { " + el + " }\n";
  return out;
}

std::string replace_table_commands(const NetworkRecord& rec) {
  std::string name = table_name(rec.bridge);
  return "add table inet " + name + "\ndelete table inet " + name + "\nadd table bridge " + name +
         "\ndelete table bridge " + name + "\n" + render_network_table(rec) + render_guard_table(rec);
}

void apply_network_table(const NetworkRecord& rec) { nft_run(replace_table_commands(rec)); }

void add_guard_elements(const NetworkRecord& rec, const Endpoint& e) {
  nft_run(guard_element_commands("add", rec, e));
}

void remove_guard_elements(const NetworkRecord& rec, const Endpoint& e) {
  try {
    nft_run(guard_element_commands("delete", rec, e));
  } catch (const SysError& err) {
    // Some already gone (the table rebuilt meanwhile): render the tables whole instead.
    log::debug("removing guard elements of {}: {}; re-rendering", e.host_veth, err.what());
    apply_network_table(rec);
  }
}

void delete_network_tables(const std::string& bridge) {
  const std::string name = table_name(bridge);
  nft_run("add table inet " + name + "\ndelete table inet " + name + "\nadd table bridge " + name +
          "\ndelete table bridge " + name + "\n");
}

void delete_table(const BerthTable& table) {
  nft_run("add table " + table.family + " " + table.name + "\ndelete table " + table.family + " " + table.name + "\n");
}

std::vector<BerthTable> list_berth_tables() {
  std::vector<BerthTable> out;
  for (const char* fam : {"inet", "bridge"}) {
    std::istringstream in(nft_list(std::string("list tables ") + fam));
    std::string word, family, name;
    while (in >> word >> family >> name)
      if (word == "table" && family == fam && name.rfind(kTablePrefix, 0) == 0) out.push_back({family, name});
  }
  return out;
}

std::vector<KernelPort> kernel_published_ports() {
  std::vector<KernelPort> out;
  for (const auto& [family, table] : list_berth_tables()) {
    if (family != "inet") continue;
    std::string text;
    try {
      text = nft_list("list chain inet " + table + " ports");
    } catch (const SysError&) {
      continue;  // deleted meanwhile, or not one of ours after all
    }
    size_t pos = 0;
    while ((pos = text.find("comment \"berth-port ", pos)) != std::string::npos) {
      size_t start = pos + 9, end = text.find('"', start);
      if (end == std::string::npos) break;
      if (auto k = parse_port_comment(text.substr(start, end - start))) {
        k->table = table;
        out.push_back(*k);
      }
      pos = end;
    }
  }
  return out;
}

}  // namespace berth::network
