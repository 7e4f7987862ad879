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

std::string replace_table_commands(const NetworkRecord& rec) {
  std::string name = table_name(rec.bridge);
  return "add table inet " + name + "\ndelete table inet " + name + "\n" + render_network_table(rec);
}

void apply_network_table(const NetworkRecord& rec) { nft_run(replace_table_commands(rec)); }

void delete_table(const std::string& table) {
  nft_run("add table inet " + table + "\ndelete table inet " + table + "\n");
}

std::vector<std::string> list_berth_tables() {
  std::istringstream in(nft_list("list tables inet"));
  std::vector<std::string> out;
  std::string word, family, name;
  while (in >> word >> family >> name)
    if (word == "table" && family == "inet" && name.rfind(kTablePrefix, 0) == 0) out.push_back(name);
  return out;
}

std::vector<KernelPort> kernel_published_ports() {
  std::vector<KernelPort> out;
  for (const auto& table : list_berth_tables()) {
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
