#include "network/container_files.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "base/control_chars.hpp"
#include "base/error.hpp"
#include "network/ip.hpp"

namespace berth::network {
namespace {

std::string upper_env(std::string s) {
  for (auto& c : s) c = c == '-' || c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// Every value is written as (part of) one line: a control character would let it add lines.
void check_line(const char* what, const std::string& value) {
  if (has_control_char(value))
    throw UserError(std::string(what) + ": \"" + value.substr(0, value.find_first_of("\r\n")) +
                    "...\" contains a control character");
}

void check_lines(const char* what, const std::vector<std::string>& values) {
  for (const auto& v : values) check_line(what, v);
}

}  // namespace

std::string render_hosts(const HostsSpec& spec) {
  check_line("hostname", spec.hostname);
  check_line("domainname", spec.domainname);
  check_lines("extra_hosts", spec.extra_hosts);
  for (const auto& link : spec.links) check_lines("links", link.names);
  std::ostringstream out;
  out << "127.0.0.1\tlocalhost\n";
  if (spec.ipv6_localhost)
    out << "::1\tlocalhost ip6-localhost ip6-loopback\n"
           "fe00::0\tip6-localnet\n"
           "ff00::0\tip6-mcastprefix\n"
           "ff02::1\tip6-allnodes\n"
           "ff02::2\tip6-allrouters\n";
  std::string names;
  if (!spec.hostname.empty()) {
    names = spec.domainname.empty() ? spec.hostname : spec.hostname + "." + spec.domainname + " " + spec.hostname;
    for (const auto& ip : spec.own_ips) out << ip << "\t" << names << "\n";
  }
  for (const auto& link : spec.links) {
    std::vector<std::string> uniq;
    for (const auto& n : link.names)
      if (std::find(uniq.begin(), uniq.end(), n) == uniq.end()) uniq.push_back(n);
    out << link.ip << "\t" << join(uniq, " ") << "\n";
  }
  for (const auto& entry : spec.extra_hosts) {
    // "name:ip" (the IP may be IPv6 and contain ':'), or "name=ip" as newer compose writes it.
    auto sep = entry.find('=');
    if (sep == std::string::npos) sep = entry.find(':');
    if (sep == std::string::npos || sep == 0 || sep + 1 >= entry.size())
      throw UserError("extra_hosts: invalid entry \"" + entry + "\" (expected HOST:IP)");
    std::string name = entry.substr(0, sep), ip = entry.substr(sep + 1);
    if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    if (ip == "host-gateway") {
      if (spec.host_gateway.empty())
        throw UserError("extra_hosts: \"" + entry + "\": no host gateway address (the container has no bridge network)");
      ip = spec.host_gateway;
    } else if (!IpAddress::try_parse(ip)) {
      throw UserError("extra_hosts: invalid IP address in \"" + entry + "\"");
    }
    out << ip << "\t" << name << "\n";
  }
  return out.str();
}

namespace {

void check_resolv(const ResolvSpec& spec) {
  check_lines("dns", spec.nameservers);
  check_lines("dns_search", spec.search);
  check_lines("dns_opt", spec.options);
}

}  // namespace

std::string render_resolv_conf(const ResolvSpec& spec) {
  check_resolv(spec);
  std::ostringstream out;
  out << "# written by berth\n";
  for (const auto& ns : spec.nameservers) out << "nameserver " << ns << "\n";
  if (!spec.search.empty()) out << "search " << join(spec.search, " ") << "\n";
  if (!spec.options.empty()) out << "options " << join(spec.options, " ") << "\n";
  return out.str();
}

std::string render_host_resolv_conf(const std::string& host_content, const ResolvSpec& o) {
  check_resolv(o);
  std::istringstream in(host_content);
  std::ostringstream out;
  std::string line;
  bool have_ns = false;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (key == "search" || key == "domain") {
      if (!o.search.empty()) continue;
    } else if (key == "options") {
      if (!o.options.empty()) continue;
    } else if (key == "nameserver") {
      if (!o.nameservers.empty()) continue;
      have_ns = true;
    }
    out << line << "\n";
  }
  (void)have_ns;
  for (const auto& ns : o.nameservers) out << "nameserver " << ns << "\n";
  if (!o.search.empty()) out << "search " << join(o.search, " ") << "\n";
  if (!o.options.empty()) out << "options " << join(o.options, " ") << "\n";
  return out.str();
}

std::vector<std::string> parse_resolv_nameservers(const std::string& content) {
  std::vector<std::string> out;
  std::istringstream in(content);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value;
    if (words >> key >> value && key == "nameserver") {
      // "fe80::1%eth0": a zone index makes no sense outside the host; keep the address only.
      auto pct = value.find('%');
      if (pct != std::string::npos) value.resize(pct);
      if (IpAddress::try_parse(value)) out.push_back(value);
    }
  }
  return out;
}

std::map<std::string, std::string> link_env(const LinkEnvSpec& spec) {
  std::map<std::string, std::string> env;
  const std::string alias = upper_env(spec.alias);
  env[alias + "_NAME"] = "/" + spec.parent_name + "/" + spec.alias;
  auto ports = spec.ports;
  std::sort(ports.begin(), ports.end(), [](const LinkPort& a, const LinkPort& b) {
    return a.port != b.port ? a.port < b.port : a.protocol < b.protocol;
  });
  ports.erase(std::unique(ports.begin(), ports.end(),
                          [](const LinkPort& a, const LinkPort& b) { return a.port == b.port && a.protocol == b.protocol; }),
              ports.end());
  auto url = [&](const LinkPort& p) { return p.protocol + "://" + spec.ip + ":" + std::to_string(p.port); };
  if (!ports.empty()) env[alias + "_PORT"] = url(ports.front());
  // Runs of consecutive ports of one protocol also get _START/_END variables, as Docker writes.
  for (size_t i = 0; i < ports.size();) {
    size_t j = i;
    while (j + 1 < ports.size() && ports[j + 1].protocol == ports[i].protocol && ports[j + 1].port == ports[j].port + 1) ++j;
    if (j > i) {
      std::string base = alias + "_PORT_" + std::to_string(ports[i].port) + "_" + upper_env(ports[i].protocol);
      env[base + "_START"] = url(ports[i]);
      env[base + "_ADDR"] = spec.ip;
      env[base + "_PORT_START"] = std::to_string(ports[i].port);
      env[base + "_PORT_END"] = std::to_string(ports[j].port);
      env[base + "_PROTO"] = ports[i].protocol;
    }
    i = j + 1;
  }
  for (const auto& p : ports) {
    std::string base = alias + "_PORT_" + std::to_string(p.port) + "_" + upper_env(p.protocol);
    env[base] = url(p);
    env[base + "_ADDR"] = spec.ip;
    env[base + "_PORT"] = std::to_string(p.port);
    env[base + "_PROTO"] = p.protocol;
  }
  for (const auto& kv : spec.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string key = kv.substr(0, eq);
    if (key == "HOME" || key == "PATH") continue;  // build noise, as Docker skips them
    env[alias + "_ENV_" + key] = kv.substr(eq + 1);
  }
  return env;
}

}  // namespace berth::network
