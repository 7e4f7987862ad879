#pragma once
// The name-resolution files of a container, rendered as strings (the runtime bind-mounts the
// files the orchestration writes), and Fig's link environment variables. Pure functions.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace berth::network {

struct HostsLink {
  std::string ip;
  std::vector<std::string> names;    // alias first, then the container's name(s)
};

struct HostsSpec {
  std::string hostname;              // e.g. "web" or the container id prefix
  std::string domainname;            // "" = none; else "hostname.domainname" is listed first
  std::vector<std::string> own_ips;  // the container's addresses (first network first)
  std::vector<HostsLink> links;      // as Fig wrote them: one line per link
  std::vector<std::string> extra_hosts;  // "name:ip", "name=ip" or "name:host-gateway"
  std::string host_gateway;          // the address that "host-gateway" stands for
  bool ipv6_localhost = true;        // the ::1 / ff02:: lines
};

// localhost lines, own name, links, extra_hosts. Throws UserError on a malformed extra host.
std::string render_hosts(const HostsSpec& spec);

struct ResolvSpec {
  std::vector<std::string> nameservers;  // embedded DNS address, or `dns:` for non-berth networks
  std::vector<std::string> search;       // dns_search
  std::vector<std::string> options;      // dns_opt ("ndots:2", "timeout:1", ...)
};

std::string render_resolv_conf(const ResolvSpec& spec);

// resolv.conf content for `network_mode: host`-like cases: the host's file with berth's
// search/options overrides applied.
std::string render_host_resolv_conf(const std::string& host_content, const ResolvSpec& overrides);

// Nameserver entries of a resolv.conf text (used for forwarding and for subnet avoidance).
std::vector<std::string> parse_resolv_nameservers(const std::string& content);

struct LinkPort {
  uint16_t port = 0;
  std::string protocol = "tcp";
};

struct LinkEnvSpec {
  std::string alias;                 // the link alias ("db" or "database"), upper-cased in names
  std::string parent_name;           // the linking container's name ("proj_web_1")
  std::string ip;                    // the linked container's address
  std::vector<LinkPort> ports;       // its exposed ports
  std::vector<std::string> env;      // its environment "K=V" (HOME and PATH are skipped)
};

// DB_NAME=/proj_web_1/db, DB_PORT=tcp://ip:5432, DB_PORT_5432_TCP=tcp://ip:5432,
// DB_PORT_5432_TCP_ADDR/_PORT/_PROTO, ranges _START/_END, DB_ENV_<K>=<V> — as Docker's links.
std::map<std::string, std::string> link_env(const LinkEnvSpec& spec);

}  // namespace berth::network
