#pragma once
// NetworkManager's insides, shared by network_manager.cpp (networks), network_attach.cpp
// (containers) and network_publish.cpp (ports).
#include <string>
#include <vector>

#include "base/file_lock.hpp"
#include "network/dns_control.hpp"
#include "network/host_sysctl.hpp"
#include "network/network_manager.hpp"
#include "network/state.hpp"

namespace berth::network {

struct NetworkManager::Impl {
  Impl(const StatePaths& p, NetworkOptions o);

  StatePaths paths;
  NetworkOptions opts;
  NetworkStore store;
  DnsControl dns;
  HostSettings host;

  FileLock lock() const { return FileLock::acquire(store.lock_path()); }
  FileLock host_lock() const { return FileLock::acquire(host.lock_path()); }

  NetworkRecord load_or_throw(const std::string& name) const;
  // Creates or repairs the bridge, its addresses, sysctls and nft table of `rec` (idempotent).
  // The caller holds the host lock (flock: a second acquire in this process would block).
  void build_kernel(const NetworkRecord& rec);
  // Deletes the nft table and the bridge (and the host veths of `endpoints_too`); idempotent.
  void teardown_kernel(const NetworkRecord& rec, bool endpoints_too);
  // Puts back host sysctls when no berth bridge is left on the host (takes the host lock).
  void restore_host_if_unused();
  // Rewrites the DNS table from every record and makes the server serve it.
  // Rewrites the DNS server's table from the records (`current`: one just saved, not read again).
  void sync_dns(const NetworkRecord* current = nullptr);
  std::vector<std::string> upstreams() const;
  // Host routes, addresses, resolvers and other networks' subnets: what a new subnet must avoid.
  std::vector<Subnet> taken_subnets(const std::string& except_network) const;
  NetworkInfo info(const NetworkRecord& rec) const;
  Attachment attachment(const NetworkRecord& rec, const Endpoint& e) const;
  int default_mtu() const;
};

std::string now_rfc3339();

}  // namespace berth::network
