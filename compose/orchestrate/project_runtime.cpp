#include "compose/orchestrate/project_runtime.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <map>
#include <set>
#include <mutex>
#include <thread>
#include <utility>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/hex.hpp"
#include "base/log.hpp"
#include "base/sha256.hpp"
#include "compose/graph.hpp"
#include "compose/load.hpp"
#include "compose/orchestrate/container_spec.hpp"
#include "compose/orchestrate/labels.hpp"
#include "compose/orchestrate/service_hooks.hpp"
#include "compose/orchestrate/service_mounts.hpp"
#include "engine/image/image_store.hpp"
#include "engine/registry/registry.hpp"
#include "network/container_files.hpp"
#include "network/network_manager.hpp"
#include "volumes/copy_up.hpp"
#include "volumes/volume_store.hpp"

namespace berth::compose::orchestrate {
namespace fs = std::filesystem;
using engine::ContainerInfo;

namespace {

// Runs fn over items, at most `parallel` at once (-1: all at once); rethrows the first failure
// after every started task has finished.
template <class T, class Fn>
void parallel_for(const std::vector<T>& items, int parallel, Fn fn) {
  if (items.empty()) return;
  size_t width = parallel <= 0 ? items.size() : std::min<size_t>(items.size(), static_cast<size_t>(parallel));
  std::atomic<size_t> next{0};
  std::mutex m;
  std::exception_ptr first;
  auto worker = [&] {
    for (size_t i; (i = next++) < items.size();) {
      try {
        fn(items[i]);
      } catch (...) {
        std::lock_guard lk(m);
        if (!first) first = std::current_exception();
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < width; ++i) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (first) std::rethrow_exception(first);
}

bool is_oneoff(const ContainerInfo& c) {
  auto it = c.labels.find(kOneoffLabel);
  return it != c.labels.end() && it->second == "True";
}

std::string label(const ContainerInfo& c, const char* key) {
  auto it = c.labels.find(key);
  return it == c.labels.end() ? "" : it->second;
}

}  // namespace

struct ProjectRuntime::Impl {
  ProjectRuntime& self;
  const Project& p;
  engine::ImageStore images;
  volumes::VolumeStore volumes;
  network::NetworkManager networks;
  std::mutex net_mutex;  // the network layer's state files are updated one call at a time
  std::mutex made_mutex;
  std::vector<std::string> made_containers;  // by this up: removed again when it fails
  std::vector<std::string> made_networks;
  std::mutex image_mutex;
  std::map<std::string, engine::Image> image_cache;  // image() lookups of this run, by reference
  // The service's name and aliases in DNS: a one-off (`run`) has them only with --use-aliases.
  bool service_aliases = true;

  explicit Impl(ProjectRuntime& s)
      : self(s), p(s.project_), images(s.paths_), volumes(s.paths_), networks(s.paths_) {}

  void say(const std::string& object, const std::string& status) {
    if (self.progress_) self.progress_(object, status);
  }

  network::NetworkSpec network_spec(const Network& n) {
    network::NetworkSpec spec;
    spec.name = n.name;
    spec.internal = n.internal;
    spec.enable_ipv6 = n.enable_ipv6.value_or(false);
    spec.external = n.external;
    spec.labels = n.labels;
    spec.labels[kProjectLabel] = p.name;
    spec.labels[kNetworkLabel] = n.key;
    spec.driver_opts = n.driver_opts;
    for (const auto& c : n.ipam_config) {
      network::IpamConfig ic;
      if (!c.subnet.empty()) ic.subnet = network::Subnet::parse(c.subnet);
      if (!c.gateway.empty()) ic.gateway = network::IpAddress::parse(c.gateway);
      if (!c.ip_range.empty()) ic.ip_range = network::Subnet::parse(c.ip_range);
      spec.ipam.push_back(ic);
    }
    return spec;
  }

  void ensure_networks(const std::vector<std::string>& keys) {
    for (const auto& key : keys) {
      const Network& n = p.networks.at(key);
      std::lock_guard lk(net_mutex);
      bool existed = networks.find(n.name).has_value();
      networks.ensure(network_spec(n));
      if (!existed) {
        made_networks.push_back(n.name);
        say("Network " + n.name, "Created");
      }
    }
  }

  std::vector<ContainerInfo> project_containers() const {
    return self.runtime_.find_by_labels({{kProjectLabel, p.name}});
  }

  std::vector<ActualContainer> actual() const {
    std::vector<ActualContainer> out;
    for (const auto& c : project_containers()) {
      ActualContainer a;
      a.id = c.id;
      a.name = c.name;
      a.service = label(c, kServiceLabel);
      a.number = std::atoi(label(c, kNumberLabel).c_str());
      a.config_hash = label(c, kConfigHashLabel);
      a.oneoff = is_oneoff(c);
      a.running = c.running();
      a.state = engine::to_string(c.state);
      out.push_back(a);
    }
    return out;
  }

  // The store reads every image record per lookup; an up asks once per service and container.
  engine::Image image(const std::string& ref) {
    std::lock_guard lk(image_mutex);
    if (auto it = image_cache.find(ref); it != image_cache.end()) return it->second;
    engine::Image img = images.get(ref);
    image_cache.emplace(ref, img);
    return img;
  }

  std::string desired_hash(const Service& s) {
    engine::Image img = image(service_image(p, s));
    return sha256_hex(config_hash(s) + img.id);
  }

  // A linked service's exposed ports, as Docker's link variables list them: its image's
  // ExposedPorts, `expose:` and the targets of `ports:` (ranges expanded), without repeats.
  std::vector<network::LinkPort> link_ports(const Service& ts) {
    std::set<std::pair<int, std::string>> seen;
    auto add_text = [&](const std::string& text) {  // "80", "8000-8010/udp", "53/udp"
      auto slash = text.find('/');
      std::string proto = slash == std::string::npos ? "tcp" : text.substr(slash + 1);
      std::string range = text.substr(0, slash);
      auto dash = range.find('-');
      int lo = std::atoi(range.c_str()), hi = dash == std::string::npos ? lo : std::atoi(range.c_str() + dash + 1);
      for (int port = lo; port > 0 && port <= hi && port - lo < 1000; ++port) seen.insert({port, proto});
    };
    if (auto img = images.find(service_image(p, ts)))
      for (const auto& e : images.config(*img).exposed_ports) add_text(e);
    for (const auto& e : ts.expose) add_text(e);
    for (const auto& port : ts.ports)
      for (int t = port.target.start; t <= std::max<int>(port.target.start, port.target.end); ++t) seen.insert({t, port.protocol});
    std::vector<network::LinkPort> out;
    for (const auto& [port, proto] : seen) out.push_back({static_cast<uint16_t>(port), proto});
    return out;
  }

  // The container a `links:` / network_mode service:x entry means: the service's first replica.
  std::optional<ContainerInfo> first_of(const std::string& service) const {
    for (const auto& c : project_containers())
      if (label(c, kServiceLabel) == service && !is_oneoff(c)) return c;
    return std::nullopt;
  }

  std::string first_ipv4(const std::string& id) {
    std::lock_guard lk(net_mutex);
    for (const auto& a : networks.attachments(id))
      if (!a.ipv4.empty()) return a.ipv4;
    return "";
  }

  std::string create_container(const Service& s, int number, const std::string& name, const std::string& hash,
                               const std::map<std::string, std::string>& previous_anonymous, bool oneoff = false) {
    engine::Image img = image(service_image(p, s));
    engine::ImageConfig cfg = images.config(img);
    auto layers = images.layer_dirs(img);

    volumes::MountPlanInput mi;
    mi.requests = mount_requests(p, s);
    mi.image_volumes = cfg.volumes;
    mi.previous_anonymous = previous_anonymous;
    mi.anonymous_labels = {{kProjectLabel, p.name}, {kServiceLabel, s.name}};
    auto plan = volumes::plan_mounts(mi, volumes::random_volume_name);
    auto resolved = volumes::resolve_mounts(plan, volumes, [&](const std::string& target, const fs::path& dest) {
      volumes::copy_image_path(layers, target, dest);
    });

    SpecInput in;
    in.project = &p;
    in.service = &s;
    in.number = number;
    in.oneoff = oneoff;
    in.name = name;
    in.config_hash = hash;
    in.image_id = img.id;
    in.image = cfg;
    in.layer_dirs = layers;
    in.mounts = resolved;
    for (const auto& f : file_mounts(p, s)) {
      std::string host = f.host_file;
      if (f.content) {
        fs::path dir = project_files_dir(self.paths_.root, p.name);
        fs::create_directories(dir);
        host = (dir / f.key).string();
        write_file_atomic(host, *f.content);
      }
      if (f.mode || !f.uid.empty() || !f.gid.empty()) host = owned_file_copy(project_files_dir(self.paths_.root, p.name), s.name, f, host);
      engine::MountSpec m;
      m.type = engine::MountSpec::Type::Bind;
      m.source = host;
      m.target = f.target;
      m.read_only = true;
      in.file_mounts.push_back(m);
    }
    std::string first_net;
    for (const auto& [key, _] : s.networks)
      if (first_net.empty()) first_net = key;
    if (s.network_mode.rfind("service:", 0) == 0) {
      auto target = first_of(s.network_mode.substr(8));
      if (!target) throw UserError("service " + s.name + ": network_mode " + s.network_mode + ": no such container");
      in.join_container = target->id;
    } else if (s.network_mode.rfind("container:", 0) == 0) {
      in.join_container = s.network_mode.substr(10);
    }
    for (const auto& ref : peer_refs(s)) {
      auto peer = ref.rfind("container:", 0) == 0 ? self.runtime_.find(ref.substr(10)) : first_of(ref);
      if (!peer) throw UserError("service " + s.name + ": " + ref + ": no such container");
      in.peers[ref] = *peer;
    }
    network::ResolvSpec rs;
    rs.search = s.dns_search;
    rs.options = s.dns_opt;
    if (!first_net.empty()) {
      std::lock_guard lk(net_mutex);
      rs.nameservers = {networks.dns_server_address(p.networks.at(first_net).name)};
    }
    if (!rs.nameservers.empty()) in.resolv_conf = network::render_resolv_conf(rs);
    // Fig's link variables: the linked containers already run (links are dependencies).
    for (const auto& l : s.links) {
      auto target = first_of(l.service);
      if (!target) continue;
      network::LinkEnvSpec le;
      le.alias = l.alias;
      le.parent_name = name;
      le.ip = first_ipv4(target->id);
      const Service* ts = p.find_service(l.service);
      if (ts) le.ports = link_ports(*ts);
      le.env = target->spec.env;
      for (auto& [k, v] : network::link_env(le)) in.link_env[k] = v;
    }
    std::string id = self.runtime_.create(build_spec(in));
    try {
      attach(s, id, name);
    } catch (...) {
      // A half-made container (no network, no ports) is no use for anything: it goes again.
      remove_half_made(id);
      throw;
    }
    {
      std::lock_guard lk(made_mutex);
      made_containers.push_back(id);
    }
    return id;
  }

  static std::vector<network::PortMapping> port_mappings(const Service& s) {
    std::vector<network::PortMapping> maps;
    for (const auto& port : s.ports) {
      auto m = network::expand_port_range(port.host_ip, port.published.start, port.published.end, port.target.start,
                                          port.target.end, port.protocol);
      maps.insert(maps.end(), m.begin(), m.end());
    }
    return maps;
  }

  // The host ports of every container this up creates or starts, checked before anything is
  // made. The project's own containers' rules do not count: they are replaced.
  void check_host_ports(const Plan& plan) {
    std::vector<network::PortMapping> maps;
    for (const auto& level : plan.levels)
      for (const auto& sp : level) {
        const Service& s = p.services.at(sp.service);
        if ((!s.network_mode.empty() && s.network_mode != "bridge") || s.networks.empty()) continue;
        for (const auto& a : sp.containers) {
          if (a.action == Action::Remove) continue;
          if ((a.action == Action::Start || a.action == Action::Noop) && self.runtime_.inspect(a.existing_id).running())
            continue;
          auto m = port_mappings(s);
          maps.insert(maps.end(), m.begin(), m.end());
        }
      }
    if (maps.empty()) return;
    std::vector<std::string> own;
    for (const auto& c : project_containers()) own.push_back(c.id);
    std::lock_guard lk(net_mutex);
    networks.check_ports(maps, own);
  }

  // Interfaces, DNS names, /etc/hosts and published ports of a (new or restarted) container.
  void attach(const Service& s, const std::string& id, const std::string& name) {
    if (!s.network_mode.empty() && s.network_mode != "bridge") return;
    ContainerInfo info = self.runtime_.inspect(id);
    network::HostsSpec hosts;
    hosts.hostname = !s.hostname.empty() ? s.hostname : id.substr(0, 12);
    hosts.domainname = s.domainname;
    hosts.extra_hosts = s.extra_hosts;
    std::string first_net;
    for (const auto& [key, sn] : s.networks) {
      const Network& n = p.networks.at(key);
      network::AttachRequest r;
      r.container_id = id;
      r.container_name = name;
      r.netns_path = info.netns_path.string();
      r.dns_names = {name};
      if (service_aliases) {
        r.dns_names.push_back(s.name);
        r.dns_names.insert(r.dns_names.end(), sn.aliases.begin(), sn.aliases.end());
      }
      if (!s.hostname.empty()) r.dns_names.push_back(s.hostname);
      for (const auto& l : s.links)
        if (l.alias != l.service) r.link_aliases.emplace_back(l.alias, l.service);
      for (const auto& l : s.external_links) r.link_aliases.emplace_back(l.alias, l.service);
      if (!sn.ipv4_address.empty()) r.ipv4 = network::IpAddress::parse(sn.ipv4_address);
      if (!sn.ipv6_address.empty()) r.ipv6 = network::IpAddress::parse(sn.ipv6_address);
      r.dns_servers = s.dns;
      // The network's own `mac_address`, else the service's (which, as in Docker, belongs to the
      // container's first network only): the interface gets it and the bridge pins the port to it.
      if (!sn.mac_address.empty())
        r.mac_address = sn.mac_address;
      else if (!s.mac_address.empty() && first_net.empty())
        r.mac_address = s.mac_address;
      network::Attachment a;
      {
        std::lock_guard lk(net_mutex);
        a = networks.attach(n.name, r);
      }
      if (!a.ipv4.empty()) hosts.own_ips.push_back(a.ipv4);
      if (hosts.host_gateway.empty()) hosts.host_gateway = a.host_gateway;
      if (first_net.empty()) first_net = n.name;
    }
    for (const auto& l : s.links)
      if (auto t = first_of(l.service)) {
        std::string ip = first_ipv4(t->id);
        if (!ip.empty()) hosts.links.push_back({ip, {l.alias, l.service, t->name}});
      }
    self.runtime_.update_hosts(id, network::render_hosts(hosts));
    std::vector<network::PortMapping> maps = port_mappings(s);
    if (!maps.empty() && !first_net.empty()) {
      std::lock_guard lk(net_mutex);
      networks.publish(id, maps);
    }
  }

  void wait_for_dependencies(const Service& s) {
    for (const auto& [dep, d] : s.depends_on) {
      if (d.condition == "service_started" || !p.services.count(dep)) continue;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
      for (;;) {
        bool ok = true;
        for (const auto& c : project_containers()) {
          if (label(c, kServiceLabel) != dep || is_oneoff(c)) continue;
          if (d.condition == "service_healthy") {
            if (c.health == "unhealthy") throw UserError("dependency failed to start: container " + c.name + " is unhealthy");
            if (c.health != "healthy") ok = false;
            if (!c.running()) throw UserError("dependency failed to start: container " + c.name + " exited (" + std::to_string(c.exit_code) + ")");
          } else if (d.condition == "service_completed_successfully") {
            if (c.running()) ok = false;
            else if (c.exit_code != 0)
              throw UserError("service \"" + dep + "\" didn't complete successfully: exit " + std::to_string(c.exit_code));
          }
        }
        if (ok) break;
        if (std::chrono::steady_clock::now() > deadline) throw UserError("timed out waiting for " + dep);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }

  void remove_container(const ContainerInfo& c, std::optional<std::chrono::seconds> timeout, bool volumes_too) {
    stop_container(c, timeout);
    release_network({c});
    remove_stopped(c, volumes_too);
  }

  void stop_container(const ContainerInfo& c, std::optional<std::chrono::seconds> timeout) {
    if (!c.running()) return;
    say("Container " + c.name, "Stopping");
    const Service* s = p.find_service(label(c, kServiceLabel));
    if (s && c.state == engine::ContainerState::Running) run_hooks(self.runtime_, c.id, *s, "pre_stop");
    self.runtime_.stop(c.id, timeout);
  }

  // Addresses, DNS names and published ports of containers that go away, in one network update.
  void release_network(const std::vector<ContainerInfo>& cs) {
    std::vector<std::string> ids;
    for (const auto& c : cs) ids.push_back(c.id);
    std::lock_guard lk(net_mutex);
    networks.release(ids);
  }

  void remove_stopped(const ContainerInfo& c, bool volumes_too) {
    self.runtime_.remove(c.id, true);
    if (volumes_too) {
      // Its anonymous volumes, not one another container still mounts: `volumes_from` gives a
      // service the anonymous volumes of another, which go with their last user. Containers of
      // one level are removed side by side, so one may find a volume already gone.
      std::set<std::string> in_use;
      for (const auto& other : self.runtime_.list())
        for (const auto& m : other.spec.mounts)
          if (m.type == engine::MountSpec::Type::VolumeDir) in_use.insert(m.source);
      for (const auto& m : c.spec.mounts)
        if (m.type == engine::MountSpec::Type::VolumeDir && !in_use.count(m.source))
          for (const auto& v : volumes.list())
            if (v.anonymous() && v.source() == fs::path(m.source) && volumes.find(v.name)) {
              try {
                volumes.remove(v.name);
              } catch (const UserError&) {
                if (volumes.find(v.name)) throw;  // gone meanwhile: removed by a container beside it
              }
            }
    }
    say("Container " + c.name, "Removed");
  }

  void apply(const ServicePlan& sp, const UpOptions& opts, const std::map<std::string, std::string>& hashes) {
    const Service& s = p.services.at(sp.service);
    for (const auto& a : sp.containers) {
      std::string id = a.existing_id;
      switch (a.action) {
        case Action::Create:
          say("Container " + a.name, "Creating");
          id = create_container(s, a.number, a.name, hashes.at(s.name), {});
          say("Container " + a.name, "Created");
          break;
        case Action::Recreate: {
          ContainerInfo old = self.runtime_.inspect(a.existing_id);
          std::map<std::string, std::string> anon;
          for (const auto& m : old.spec.mounts)
            if (m.type == engine::MountSpec::Type::VolumeDir && !opts.renew_anon_volumes)
              for (const auto& v : volumes.list())
                if (v.anonymous() && v.source() == fs::path(m.source)) anon[m.target] = v.name;
          say("Container " + a.name, "Recreate");
          remove_container(old, opts.timeout, opts.renew_anon_volumes);  // -V: the old anonymous volumes go
          id = create_container(s, a.number, a.name, hashes.at(s.name), anon);
          say("Container " + a.name, "Recreated");
          break;
        }
        case Action::Remove:
          remove_container(self.runtime_.inspect(a.existing_id), opts.timeout, false);
          continue;
        case Action::Start:
        case Action::Noop:
          break;
      }
      if (opts.no_start) continue;
      ContainerInfo info = self.runtime_.inspect(id);
      if (info.running()) {
        if (a.action == Action::Noop) say("Container " + a.name, "Running");
        continue;
      }
      if (!opts.no_deps) wait_for_dependencies(s);  // --no-deps: the user answers for them, as compose
      say("Container " + a.name, "Starting");
      if (a.action == Action::Start || a.action == Action::Noop) attach(s, id, a.name);
      self.runtime_.start(id);
      run_hooks(self.runtime_, id, s, "post_start");
      say("Container " + a.name, "Started");
    }
  }

  void remove_half_made(const std::string& id) {
    try {
      {
        std::lock_guard lk(net_mutex);
        networks.release(id);
      }
      self.runtime_.remove(id, true);
    } catch (const std::exception& e) {
      log::warn("rollback: container {}: {}", id, describe(e));
    }
  }

  // A failed up keeps every container it made, as compose does, so that `logs` and `ps` show why
  // (an unhealthy dependency, a one-shot that exited non-zero, a command that could not start):
  // only the networks it made go again, when it made no container that uses them.
  void rollback_networks() {
    if (!made_containers.empty()) return;
    for (const auto& n : made_networks) {
      try {
        networks.remove(n, true);
      } catch (const std::exception& e) {
        log::warn("rollback: network {}: {}", n, describe(e));
      }
    }
  }

  // `run`'s one-off container, which failed to start: removed with what was made for it.
  void rollback() {
    for (auto it = made_containers.rbegin(); it != made_containers.rend(); ++it) {
      try {
        {
          std::lock_guard lk(net_mutex);
          networks.release(*it);
        }
        self.runtime_.remove(*it, true);
      } catch (const std::exception& e) {
        log::warn("rollback: container {}: {}", *it, describe(e));
      }
    }
    for (const auto& n : made_networks) {
      try {
        networks.remove(n, true);
      } catch (const std::exception& e) {
        log::warn("rollback: network {}: {}", n, describe(e));
      }
    }
  }

  void wait_running(const std::vector<std::string>& services, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      bool done = true;
      for (const auto& c : project_containers()) {
        if (is_oneoff(c) || std::find(services.begin(), services.end(), label(c, kServiceLabel)) == services.end()) continue;
        if (c.state == engine::ContainerState::Exited && c.exit_code == 0) continue;
        if (!c.running()) throw UserError("container " + c.name + " exited (" + std::to_string(c.exit_code) + ")");
        if (c.health == "unhealthy") throw UserError("container " + c.name + " is unhealthy");
        if (!c.spec.healthcheck.test.empty() && c.spec.healthcheck.test[0] != "NONE" && c.health != "healthy") done = false;
      }
      if (done) return;
      if (timeout.count() > 0 && std::chrono::steady_clock::now() > deadline) throw UserError("timed out waiting for the project to be ready");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
};

ProjectRuntime::ProjectRuntime(const StatePaths& paths, const Project& project, Progress progress)
    : paths_(paths), project_(project), progress_(std::move(progress)), runtime_(paths) {}

void ProjectRuntime::pull_images(const std::vector<std::string>& refs, int parallel, bool missing_is_fatal,
                                 bool ignore_failures) {
  engine::ImageStore store(paths_);
  parallel_for(refs, parallel, [&](const std::string& ref) {
    engine::PullOptions po;
    po.registry.state_root = paths_.root;
    try {
      if (progress_) progress_("Image " + ref, "Pulling");
      auto r = engine::pull_image(store, ref, po);
      if (progress_) progress_("Image " + ref, r.up_to_date ? "Up to date" : "Pulled");
    } catch (const std::exception& e) {
      if (ignore_failures) {
        if (progress_) progress_("Image " + ref, "Error: " + describe(e));
        return;
      }
      if (missing_is_fatal && !store.find(ref))
        throw UserError("image " + ref + " not found locally and could not be pulled: " + describe(e));
      throw;
    }
  });
}

FileLock ProjectRuntime::lock_project() const {
  return FileLock::acquire(paths_.runtime / "projects" / (project_.name + ".lock"));
}

// Builds what has `build:` and is missing (or asked for), pulls what the others' pull_policy asks
// for: always, or when missing (not with never). An image several services share is made once.
void ProjectRuntime::ensure_images(const std::set<std::string>& services, int parallel, bool build, bool no_build,
                                   const BuildFlags& flags, const std::string& pull, bool quiet_pull) {
  engine::ImageStore images(paths_);
  std::vector<std::string> to_pull;
  std::set<std::string> built;
  for (const auto& name : services) {
    const Service& s = project_.services.at(name);
    const std::string ref = service_image(project_, s);
    const std::string& policy = pull.empty() ? s.pull_policy : pull;
    bool have = images.find(ref).has_value();
    if (s.build) {
      if (built.count(ref)) continue;
      if (no_build) {
        if (!have) throw UserError("service " + name + ": image " + ref + " not found and --no-build was given");
        continue;
      }
      if (build || policy == "build" || (!have && policy != "always")) {
        // The builder's own lines (stderr), before the live display of `up` draws anything.
        build_service(paths_, project_, s, flags);
        built.insert(ref);
        continue;
      }
    }
    if (policy == "always" || (!have && policy != "never")) {
      if (std::find(to_pull.begin(), to_pull.end(), ref) == to_pull.end()) to_pull.push_back(ref);
    } else if (!have) {
      throw UserError("service " + name + ": image " + ref + " not found and " +
                      (pull.empty() ? "pull_policy is never" : "--pull is " + pull));
    }
  }
  if (!quiet_pull) return pull_images(to_pull, parallel, true);
  Progress shown = std::exchange(progress_, {});  // --quiet-pull: the pulls say nothing
  try {
    pull_images(to_pull, parallel, true);
  } catch (...) {
    progress_ = std::move(shown);
    throw;
  }
  progress_ = std::move(shown);
}

void ProjectRuntime::build(const std::vector<std::string>& services, const BuildFlags& flags) {
  std::set<std::string> built;
  for (const auto& [name, s] : project_.services) {
    if (!services.empty() && std::find(services.begin(), services.end(), name) == services.end()) continue;
    if (!s.build || !built.insert(service_image(project_, s)).second) continue;
    build_service(paths_, project_, s, flags);
  }
}

namespace {
PlanOptions plan_options(const UpOptions& opts, const std::set<std::string>& selected) {
  PlanOptions po;
  po.services = selected;
  po.recreate = opts.recreate;
  if (opts.always_recreate_deps) po.recreate_dependencies = RecreatePolicy::Force;
  po.named = opts.services.empty() ? selected : std::set<std::string>(opts.services.begin(), opts.services.end());
  po.scale = opts.scale;
  po.remove_orphans = opts.remove_orphans;
  return po;
}
}  // namespace

Plan ProjectRuntime::plan_up(const UpOptions& opts) {
  Impl impl(*this);
  DependencyGraph graph(project_);
  std::set<std::string> selected = graph.select(opts.services, !opts.no_deps);
  PlanOptions po = plan_options(opts, selected);
  // An image not there yet has no id: its containers are planned as changed, as they would be.
  for (const auto& name : selected) {
    const Service& s = project_.services.at(name);
    po.hashes[name] = impl.images.find(service_image(project_, s)) ? impl.desired_hash(s) : "";
  }
  return convergence_plan(project_, graph, impl.actual(), po);
}

void ProjectRuntime::wait_ready(const std::vector<std::string>& services, std::chrono::seconds timeout) {
  std::vector<std::string> names = services;
  if (names.empty())
    for (const auto& [name, _] : project_.services) names.push_back(name);
  Impl(*this).wait_running(names, timeout);
}

bool ProjectRuntime::up(const UpOptions& opts) {
  Impl impl(*this);
  DependencyGraph graph(project_);
  std::set<std::string> selected = graph.select(opts.services, !opts.no_deps);
  PlanOptions po = plan_options(opts, selected);
  auto lock = lock_project();
  ensure_images(selected, opts.parallel, opts.build, opts.no_build, opts.build_flags, opts.pull, opts.quiet_pull);
  for (const auto& name : selected) po.hashes[name] = impl.desired_hash(project_.services.at(name));
  Plan plan = convergence_plan(project_, graph, impl.actual(), po);
  // As compose, also when there is nothing else to do (COMPOSE_IGNORE_ORPHANS silences it).
  if (!opts.remove_orphans && !opts.ignore_orphans)
    for (const auto& o : plan.orphans)
      log::warn("found orphan container {} of service {}; --remove-orphans removes it", o.name, o.service);
  if (plan.noop(opts.remove_orphans) && !opts.no_start) {
    bool all_running = true;
    for (const auto& level : plan.levels)
      for (const auto& sp : level)
        for (const auto& a : sp.containers)
          if (!runtime_.inspect(a.existing_id).running()) all_running = false;
    if (all_running) {
      if (opts.wait) impl.wait_running({selected.begin(), selected.end()}, opts.wait_timeout);
      return false;
    }
  }
  // Host ports are checked before anything is made (compose fails late; this fails early).
  impl.check_host_ports(plan);
  try {
    impl.ensure_networks(plan.networks);
    for (const auto& level : plan.levels)
      parallel_for(level, opts.parallel, [&](const ServicePlan& sp) { impl.apply(sp, opts, po.hashes); });
    for (const auto& o : plan.orphans)
      if (opts.remove_orphans) impl.remove_container(runtime_.inspect(o.id), opts.timeout, false);
  } catch (...) {
    impl.rollback_networks();
    throw;
  }
  if (opts.wait) impl.wait_running({selected.begin(), selected.end()}, opts.wait_timeout);
  return true;
}

void ProjectRuntime::down(const DownOptions& opts) {
  auto lock = lock_project();
  Impl impl(*this);
  auto all = impl.project_containers();
  // Stop in reverse dependency order, each level in parallel; then remove.
  std::vector<std::vector<std::string>> levels;
  try {
    levels = DependencyGraph(project_).stop_levels();
  } catch (const std::exception&) {
    levels = {};
  }
  auto stop_batch = [&](const std::vector<ContainerInfo>& batch) {
    if (batch.empty()) return;
    // Stop them all, hand their network resources back in one update, then remove them all.
    parallel_for(batch, -1, [&](const ContainerInfo& c) { impl.stop_container(c, opts.timeout); });
    impl.release_network(batch);
    parallel_for(batch, -1, [&](const ContainerInfo& c) { impl.remove_stopped(c, opts.volumes); });
  };
  std::vector<ContainerInfo> orphans;
  // One-off containers (`run`) always go; containers of services the file no longer has only
  // with --remove-orphans, as compose does.
  // So do the containers of services another profile enables: compose's down takes every
  // profile, and the network must not go from under them.
  // A project known by its labels only (`-p NAME down` with no file): every container goes.
  const bool labels_only = project_.files.empty() && project_.services.empty() && project_.disabled_services.empty();
  for (const auto& c : all) {
    const std::string svc = label(c, kServiceLabel);
    if (is_oneoff(c) || labels_only || project_.disabled_services.count(svc) ||
        (opts.remove_orphans && !project_.services.count(svc)))
      orphans.push_back(c);
  }
  stop_batch(orphans);
  for (const auto& level : levels) {
    std::vector<ContainerInfo> batch;
    for (const auto& c : all)
      if (!is_oneoff(c) && std::find(level.begin(), level.end(), label(c, kServiceLabel)) != level.end()) batch.push_back(c);
    stop_batch(batch);
  }
  for (const auto& [key, n] : project_.networks) {
    if (n.external) continue;
    if (!impl.networks.find(n.name)) continue;
    impl.networks.remove(n.name, true);
    impl.say("Network " + n.name, "Removed");
  }
  if (labels_only)  // the networks this project made carry its label (external ones do not)
    for (const auto& n : impl.networks.list()) {
      auto it = n.labels.find(kProjectLabel);
      if (it == n.labels.end() || it->second != project_.name) continue;
      impl.networks.remove(n.name, true);
      impl.say("Network " + n.name, "Removed");
    }
  if (opts.volumes && labels_only)  // as its networks: the volumes it made carry its label
    for (const auto& v : impl.volumes.list()) {
      auto it = v.labels.find(kProjectLabel);
      if (it == v.labels.end() || it->second != project_.name) continue;
      impl.volumes.remove(v.name);
      impl.say("Volume " + v.name, "Removed");
    }
  if (opts.volumes)
    for (const auto& [key, v] : project_.volumes) {
      if (v.external || !impl.volumes.find(v.name)) continue;
      impl.volumes.remove(v.name);
      impl.say("Volume " + v.name, "Removed");
    }
  if (opts.rmi == "all" || opts.rmi == "local") {
    std::set<std::string> refs;
    for (const auto& [name, s] : project_.services)
      if (opts.rmi == "all" || (s.build && s.image.empty())) refs.insert(service_image(project_, s));
    for (const auto& ref : refs) {
      if (!impl.images.find(ref)) continue;
      try {
        impl.images.remove(ref);
        impl.say("Image " + ref, "Removed");
      } catch (const UserError& e) {  // still used by another project's container: kept, as compose does
        log::warn("image {} kept: {}", ref, e.what());
      }
    }
  }
}

std::vector<ContainerInfo> ProjectRuntime::containers(bool include_stopped, bool oneoff) const {
  std::vector<ContainerInfo> out;
  for (auto& c : runtime_.find_by_labels({{kProjectLabel, project_.name}}))
    if ((include_stopped || c.running()) && (oneoff || !is_oneoff(c))) out.push_back(std::move(c));
  std::sort(out.begin(), out.end(), [](const ContainerInfo& a, const ContainerInfo& b) {
    auto ka = std::make_pair(label(a, kServiceLabel), std::atoi(label(a, kNumberLabel).c_str()));
    auto kb = std::make_pair(label(b, kServiceLabel), std::atoi(label(b, kNumberLabel).c_str()));
    return ka < kb;
  });
  return out;
}

namespace {
bool wanted(const ContainerInfo& c, const std::vector<std::string>& services) {
  return services.empty() || std::find(services.begin(), services.end(), label(c, kServiceLabel)) != services.end();
}
}  // namespace

void ProjectRuntime::stop(const std::vector<std::string>& services, std::optional<std::chrono::seconds> timeout) {
  auto lock = lock_project();
  std::vector<ContainerInfo> batch;
  for (const auto& c : containers(true))
    if (wanted(c, services) && (c.running() || c.state == engine::ContainerState::Restarting)) batch.push_back(c);
  parallel_for(batch, -1, [&](const ContainerInfo& c) {
    const Service* s = project_.find_service(label(c, kServiceLabel));
    if (s && c.state == engine::ContainerState::Running) run_hooks(runtime_, c.id, *s, "pre_stop");
    runtime_.stop(c.id, timeout);  // a restarting container too: its restart policy ends there
    if (progress_) progress_("Container " + c.name, "Stopped");
  });
}

void ProjectRuntime::start(const std::vector<std::string>& services) {
  auto lock = lock_project();
  Impl impl(*this);
  DependencyGraph graph(project_);
  for (const auto& level : graph.start_levels()) {
    std::vector<ContainerInfo> batch;
    for (const auto& c : containers(true))
      if (!c.running() && wanted(c, services) &&
          std::find(level.begin(), level.end(), label(c, kServiceLabel)) != level.end())
        batch.push_back(c);
    parallel_for(batch, -1, [&](const ContainerInfo& c) {
      const Service* s = project_.find_service(label(c, kServiceLabel));
      if (s) {
        impl.wait_for_dependencies(*s);  // as up does: healthy / completed dependencies first
        impl.attach(*s, c.id, c.name);
      }
      runtime_.start(c.id);
      if (s) run_hooks(runtime_, c.id, *s, "post_start");
      if (progress_) progress_("Container " + c.name, "Started");
    });
  }
}

void ProjectRuntime::kill(const std::vector<std::string>& services, int signal) {
  for (const auto& c : containers(true)) {
    if (!wanted(c, services)) continue;
    if (c.state == engine::ContainerState::Restarting)
      runtime_.stop(c.id, std::chrono::seconds(0));  // no process to signal: the restarts end (as Docker)
    else if (c.running())
      try {
        runtime_.kill(c.id, signal);
      } catch (const UserError&) {
        if (runtime_.inspect(c.id).running()) throw;  // else it exited meanwhile: nothing to kill
      }
  }
}

void ProjectRuntime::pause(const std::vector<std::string>& services) {
  for (const auto& c : containers(false))
    if (wanted(c, services) && c.state == engine::ContainerState::Running) {
      runtime_.pause(c.id);
      if (progress_) progress_("Container " + c.name, "Paused");
    }
}

void ProjectRuntime::unpause(const std::vector<std::string>& services) {
  for (const auto& c : containers(false))
    if (wanted(c, services) && c.state == engine::ContainerState::Paused) {
      runtime_.unpause(c.id);
      if (progress_) progress_("Container " + c.name, "Unpaused");
    }
}

std::vector<std::string> ProjectRuntime::remove(const std::vector<std::string>& services, bool stop_first,
                                                bool volumes, std::optional<std::chrono::seconds> timeout) {
  auto lock = lock_project();
  Impl impl(*this);
  std::vector<ContainerInfo> batch;
  for (const auto& c : containers(true, true))
    if (wanted(c, services) && (stop_first || !c.running())) batch.push_back(c);
  parallel_for(batch, -1, [&](const ContainerInfo& c) { impl.remove_container(c, timeout, volumes); });
  std::vector<std::string> names;
  for (const auto& c : batch) names.push_back(c.name);
  return names;
}

std::string ProjectRuntime::run(const RunOptions& o, int parallel) {
  const Service* base = project_.find_service(o.service);
  if (!base) throw UserError("no such service: " + o.service);
  DependencyGraph graph(project_);
  if (!o.no_deps) {
    std::set<std::string> deps = graph.select({o.service}, true);
    deps.erase(o.service);
    if (!deps.empty()) {
      UpOptions uo;
      uo.services.assign(deps.begin(), deps.end());
      uo.parallel = parallel;
      up(uo);
    }
  }
  Service s = *base;
  if (o.command) s.command = o.command;
  if (o.entrypoint) s.entrypoint = o.entrypoint;
  for (const auto& e : o.env) {
    auto eq = e.find('=');
    if (eq != std::string::npos) {
      s.environment[e.substr(0, eq)] = e.substr(eq + 1);
    } else if (const char* v = std::getenv(e.c_str())) {
      s.environment[e] = v;
    } else {
      s.environment.erase(e);
    }
  }
  if (!o.service_ports) s.ports.clear();
  s.ports.insert(s.ports.end(), o.ports.begin(), o.ports.end());
  s.volumes.insert(s.volumes.end(), o.volumes.begin(), o.volumes.end());
  if (!o.working_dir.empty()) s.working_dir = o.working_dir;
  if (!o.user.empty()) s.user = o.user;
  s.tty = o.tty;
  s.stdin_open = o.stdin_open;
  s.cap_add.insert(s.cap_add.end(), o.cap_add.begin(), o.cap_add.end());
  s.cap_drop.insert(s.cap_drop.end(), o.cap_drop.begin(), o.cap_drop.end());
  // A one-off command runs once: the service's restart policy and healthcheck-driven
  // dependencies are for the long-running replicas (as compose does).
  s.restart = "no";
  if (s.deploy) s.deploy->restart_policy.reset();
  for (const auto& [k, v] : o.labels) s.labels[k] = v;
  std::string name = o.name;
  if (name.empty()) name = project_.name + "-" + s.name + "-run-" + random_hex(6);
  ensure_images({o.service}, parallel, false, false, {}, o.pull);
  Impl impl(*this);
  impl.service_aliases = o.use_aliases;
  // As up: the one-off starts once its dependencies are healthy / have completed (not with
  // --no-deps, which leaves them to the user).
  if (!o.no_deps) impl.wait_for_dependencies(s);
  auto lock = lock_project();
  try {
    std::vector<std::string> nets;
    for (const auto& [key, _] : s.networks) nets.push_back(key);
    impl.ensure_networks(nets);
    std::string id = impl.create_container(s, 1, name, impl.desired_hash(s), {}, true);
    runtime_.start(id);
    return id;
  } catch (...) {
    impl.rollback();
    throw;
  }
}

}  // namespace berth::compose::orchestrate
