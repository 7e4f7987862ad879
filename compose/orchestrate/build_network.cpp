#include "compose/orchestrate/build_network.hpp"

#include <algorithm>
#include <cctype>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/log.hpp"
#include "network/container_files.hpp"

namespace berth::compose::orchestrate {
namespace {

std::filesystem::path lock_path(const StatePaths& paths) { return paths.root / "build-cache" / "network.lock"; }

bool container_id_like(const std::string& id) {
  return id.size() == 64 && std::all_of(id.begin(), id.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// /etc/hosts of a step: localhost, its own address (127.0.1.1 without a bridge, as the runtime
// writes it) under its hostname, the extra hosts ("host-gateway": the host as the step reaches it).
std::string hosts_file(const engine::ContainerInfo& c, const std::vector<std::string>& extra, const std::string& own_ip,
                       const std::string& host_gateway) {
  network::HostsSpec h;
  h.hostname = c.spec.hostname.empty() ? c.id.substr(0, 12) : c.spec.hostname;
  h.domainname = c.spec.domainname;
  h.own_ips = {own_ip};
  h.extra_hosts = extra;
  h.host_gateway = host_gateway;
  return network::render_hosts(h);
}

}  // namespace

class BuildNetwork::Attached final : public Lease {
 public:
  Attached(BuildNetwork& n, std::string id) : n_(n), id_(std::move(id)) {}
  ~Attached() override {
    std::lock_guard lock(n_.mu_);
    try {
      n_.nm_.detach(kName, id_, true);  // the veth now, not when the kernel reaps the netns
      n_.nm_.release(id_);
    } catch (const std::exception& e) {
      log::warn("detaching build container {} from {}: {}", id_.substr(0, 12), kName, e.what());
    }
  }

 private:
  BuildNetwork& n_;
  std::string id_;
};

BuildNetwork::BuildNetwork(const StatePaths& paths, std::vector<std::string> extra_hosts)
    : paths_(paths), extra_hosts_(std::move(extra_hosts)), nm_(paths) {
  engine::ContainerInfo probe;
  probe.id = std::string(64, '0');
  hosts_file(probe, extra_hosts_, "127.0.1.1", "127.0.0.1");  // a bad entry fails before any step
}

BuildNetwork::~BuildNetwork() { leave(); }

network::NetworkInfo BuildNetwork::ready() {
  if (info_) return *info_;
  // Held until this build ends: the last build to leave removes the network (leave()), and one
  // that comes meanwhile waits here until it is gone, then makes it again.
  if (!using_) using_ = FileLock::acquire(lock_path(paths_), FileLock::Mode::Shared);
  network::NetworkSpec spec;
  spec.name = kName;
  spec.labels = {{"berth.build", "true"}};
  info_ = nm_.ensure(spec);
  release_stale(*info_);
  return *info_;
}

std::size_t BuildNetwork::release_stale(const network::NetworkInfo& n) {
  engine::Runtime rt(paths_);
  std::vector<std::string> stale;
  for (const auto& id : n.containers)
    if (container_id_like(id) && !rt.find(id)) stale.push_back(id);
  if (!stale.empty()) nm_.release(stale);
  return stale.size();
}

std::string BuildNetwork::resolv_conf(builder::RunNetworkMode mode) {
  if (mode != builder::RunNetworkMode::Default) return {};  // the host's file (none: unusable anyway)
  std::lock_guard lock(mu_);
  auto info = ready();
  // The embedded DNS on the gateway forwards to the host's resolvers (also a 127.0.0.53 one,
  // which the step could not reach itself); the host's search domains and options are kept.
  network::ResolvSpec rs;
  rs.nameservers = {info.gateway4->str()};
  return network::render_host_resolv_conf(try_read_file("/etc/resolv.conf").value_or(""), rs);
}

std::unique_ptr<builder::RunNetwork::Lease> BuildNetwork::join(engine::Runtime& rt, const engine::ContainerInfo& c,
                                                               builder::RunNetworkMode mode) {
  if (mode != builder::RunNetworkMode::Default) {
    // With the host's network "host-gateway" is the host itself; without one nothing is reached.
    if (!extra_hosts_.empty()) rt.update_hosts(c.id, hosts_file(c, extra_hosts_, "127.0.1.1", "127.0.0.1"));
    return nullptr;
  }
  network::Attachment a;
  {
    std::lock_guard lock(mu_);
    ready();
    network::AttachRequest r;
    r.container_id = c.id;
    r.container_name = c.name;
    r.netns_path = c.netns_path.string();
    r.interface = "eth0";
    a = nm_.attach(kName, r);  // rolls itself back when it fails
  }
  auto lease = std::make_unique<Attached>(*this, c.id);
  rt.update_hosts(c.id, hosts_file(c, extra_hosts_, a.ipv4, a.host_gateway));
  return lease;
}

// Also at the end of a build that never used the network: what a killed build left (the
// network, the addresses of its steps, whose containers the builder has swept by now) goes.
void BuildNetwork::leave() noexcept {
  std::lock_guard lock(mu_);
  using_.reset();
  info_.reset();
  try {
    // Only when no other build holds it shared; a container someone attached by hand keeps it.
    auto alone = FileLock::try_acquire(lock_path(paths_));
    if (!alone) return;
    auto n = nm_.find(kName);
    if (n && release_stale(*n) == n->containers.size()) nm_.remove(kName);
  } catch (const std::exception& e) {
    log::warn("removing network {}: {}", kName, e.what());
  }
}

}  // namespace berth::compose::orchestrate
