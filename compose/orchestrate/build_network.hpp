#pragma once
// The network of RUN steps (builder/run_network.hpp) for `berth image build` and compose's
// `build:`: on the default network a step's container is attached to one bridge network of the
// state root, "berth-build", as docker build's steps are to docker0: an address of its own, a
// default route out with masquerading, the embedded DNS (forwarding to the host's resolvers) in
// its resolv.conf, and the guard every berth bridge has (no 127.0.0.0/8 to or from it, the port
// pinned to the container's MAC and address). The network is made on the first step that needs
// it (a subnet no host route, address, resolver or other network uses) and removed when the last
// build using it ends, so that no bridge, nft table or DNS server stays behind a build; a shared
// lock on <root>/build-cache/network.lock counts the builds using it. Extra hosts (`--add-host`,
// `build.extra_hosts`) go into /etc/hosts of every step, whatever its network.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/file_lock.hpp"
#include "base/paths.hpp"
#include "builder/run_network.hpp"
#include "network/network_manager.hpp"

namespace berth::compose::orchestrate {

class BuildNetwork final : public builder::RunNetwork {
 public:
  static constexpr const char* kName = "berth-build";

  // Throws UserError for a malformed extra host ("NAME:IP", "NAME=IP" or "NAME:host-gateway").
  BuildNetwork(const StatePaths& paths, std::vector<std::string> extra_hosts);
  // Removes the network when no other build uses it.
  ~BuildNetwork() override;
  BuildNetwork(const BuildNetwork&) = delete;
  BuildNetwork& operator=(const BuildNetwork&) = delete;

  std::string resolv_conf(builder::RunNetworkMode mode) override;
  std::unique_ptr<Lease> join(engine::Runtime& rt, const engine::ContainerInfo& c, builder::RunNetworkMode mode) override;

 private:
  class Attached;
  network::NetworkInfo ready();  // the caller holds mu_
  // Gives back the addresses of steps of a killed build (their containers are gone: the builder
  // sweeps them before its first step); returns how many.
  std::size_t release_stale(const network::NetworkInfo& n);
  void leave() noexcept;

  StatePaths paths_;
  std::vector<std::string> extra_hosts_;
  std::mutex mu_;  // the stages' threads share this object and the manager
  network::NetworkManager nm_;
  std::optional<FileLock> using_;  // shared: this build may have the network in use
  std::optional<network::NetworkInfo> info_;
};

}  // namespace berth::compose::orchestrate
