// The normalized project model: plain structs every later layer consumes
// (orchestration, network, volumes, runtime). Produced by compose::load_project().
// Every short/long syntax of the project file is normalized into ONE form here:
//  - sizes are bytes (int64_t), durations are std::chrono::nanoseconds;
//  - relative host paths are absolute (resolved against Project::working_dir, `~` expanded);
//  - std::optional means "absent in the file" (absent differs from empty for command/entrypoint).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::compose {

using Duration = std::chrono::nanoseconds;
using StringMap = std::map<std::string, std::string>;

struct BuildConfig {
    std::string context;                 // absolute path (or URL)
    std::string dockerfile;              // relative to context; empty = "Dockerfile"
    std::optional<std::string> dockerfile_inline;
    std::map<std::string, std::optional<std::string>> args;  // nullopt: take from environment
    std::string target;
    std::vector<std::string> cache_from, cache_to, tags, platforms;
    StringMap labels;
    std::string network;
    std::optional<int64_t> shm_size;
    std::vector<std::string> extra_hosts;
    bool no_cache = false;
    bool pull = false;
    std::vector<std::string> secrets;    // top-level secrets RUN --mount=type=secret may read
    std::vector<std::string> ssh;        // "ID" or "ID=SOCKET" (builder/ssh_agent_spec.hpp)
    // Keys berth's builder does not use (cache_to, platforms, ...): "file:line: path", warned
    // about when the service is built.
    std::vector<std::string> unused;
};

// Port numbers as an inclusive range; start == 0 means "not given" (random host port).
struct PortRange {
    uint16_t start = 0;
    uint16_t end = 0;
    bool empty() const { return start == 0; }
    auto operator<=>(const PortRange&) const = default;
};

struct ServicePort {
    std::string name;
    std::string host_ip;          // "" = all addresses
    PortRange published;          // empty = random host port (or not published when only exposed)
    PortRange target;
    std::string protocol = "tcp"; // tcp | udp | sctp
    std::string mode = "ingress"; // ingress | host
    std::string app_protocol;
};

enum class VolumeType { Bind, Volume, Tmpfs, Npipe, Cluster, Image };

struct ServiceVolume {
    VolumeType type = VolumeType::Volume;
    std::string source;           // bind: absolute host path; volume: project-level volume key ("" = anonymous)
    std::string target;           // absolute path in the container
    bool read_only = false;
    std::string consistency;
    struct Bind {
        bool create_host_path = true;
        std::string propagation;  // rprivate, shared, ...
        std::string selinux;      // "z" | "Z" | ""
    } bind;
    struct Vol {
        bool nocopy = false;
        std::string subpath;
    } volume;
    struct Tmpfs {
        std::optional<int64_t> size;  // bytes
        std::optional<uint32_t> mode;
    } tmpfs;
};

struct ServiceNetwork {
    std::vector<std::string> aliases;
    std::string ipv4_address;
    std::string ipv6_address;
    std::vector<std::string> link_local_ips;
    std::string mac_address;
    int priority = 0;
    StringMap driver_opts;
};

struct ServiceLink {
    std::string service;  // target service name (or container name for external_links)
    std::string alias;    // defaults to service
};

struct ServiceDependency {
    std::string condition = "service_started";  // service_started | service_healthy | service_completed_successfully
    bool restart = false;
    bool required = true;
};

struct Healthcheck {
    std::vector<std::string> test;  // ["CMD", ...] | ["CMD-SHELL", "..."] | ["NONE"]
    std::optional<Duration> interval, timeout, start_period, start_interval;
    std::optional<int64_t> retries;
    bool disable = false;
};

struct Ulimit {
    int64_t soft = 0;
    int64_t hard = 0;
};

struct ResourceSpec {
    std::optional<double> cpus;
    std::optional<int64_t> memory;  // bytes
    std::optional<int64_t> pids;
};

struct RestartPolicy {
    std::string condition;  // none | on-failure | any
    std::optional<Duration> delay, window;
    std::optional<int64_t> max_attempts;
};

struct Deploy {
    std::optional<int64_t> replicas;
    std::string mode;  // replicated | global
    ResourceSpec limits, reservations;
    std::optional<RestartPolicy> restart_policy;
    StringMap labels;
};

// A reference from a service to a top-level secret or config.
struct FileReference {
    std::string source;
    std::string target;  // absolute path in container (default /run/secrets/<source> or /<source>)
    std::string uid, gid;
    std::optional<uint32_t> mode;
};

struct Logging {
    std::string driver;
    StringMap options;
};

struct EnvFile {
    std::string path;  // absolute
    bool required = true;
};

struct Service {
    std::string name;
    // Keys of the file berth accepts but does not act on ("file:line: services.web.post_start"):
    // warned about once by the commands, never silently dropped.
    std::vector<std::string> ignored;
    std::vector<std::string> profiles;

    std::string image;
    std::optional<BuildConfig> build;
    std::string pull_policy;  // always | never | missing | build | "" (default)
    std::string platform;

    std::optional<std::vector<std::string>> command;     // nullopt: image default; empty: explicit []
    std::optional<std::vector<std::string>> entrypoint;
    StringMap environment;                               // fully resolved (env_file + environment)
    std::vector<EnvFile> env_file;                       // kept for reference; already merged above
    std::string working_dir;
    std::string user;
    std::vector<std::string> group_add;

    std::vector<ServicePort> ports;
    std::vector<std::string> expose;                     // "80", "8000-8010/udp"
    std::vector<ServiceVolume> volumes;
    std::vector<std::string> volumes_from;               // "service", "container:name", optional ":ro"
    std::vector<std::string> tmpfs;                      // short form targets ("/run:size=64m" kept raw)

    std::map<std::string, ServiceNetwork> networks;      // empty with no network_mode => "default"
    std::string network_mode;                            // "", bridge, host, none, service:x, container:x (Fig `net:`)
    std::vector<ServiceLink> links;
    std::vector<ServiceLink> external_links;
    std::string hostname, domainname, mac_address;
    std::vector<std::string> dns, dns_search, dns_opt;
    std::vector<std::string> extra_hosts;                // "host:ip"

    std::map<std::string, ServiceDependency> depends_on;
    std::optional<Healthcheck> healthcheck;
    std::string restart;                                 // no | always | on-failure[:N] | unless-stopped
    std::optional<int64_t> scale;                        // resolved replicas: scale or deploy.replicas
    std::optional<Deploy> deploy;

    StringMap labels;
    StringMap annotations;
    std::string container_name;

    bool tty = false, stdin_open = false, read_only = false, privileged = false;
    bool attach = true;  // false: a foreground `up` does not show its output
    std::optional<bool> init;
    std::vector<std::string> cap_add, cap_drop, security_opt;
    std::map<std::string, Ulimit> ulimits;
    StringMap sysctls;

    std::optional<int64_t> mem_limit, memswap_limit, mem_reservation, shm_size;  // bytes
    std::optional<int64_t> mem_swappiness;
    std::optional<double> cpus;
    std::optional<int64_t> cpu_shares, cpu_quota, cpu_period, cpu_rt_runtime, cpu_rt_period;
    std::string cpuset;
    std::optional<int64_t> pids_limit, oom_score_adj, blkio_weight;
    bool oom_kill_disable = false;

    std::vector<std::string> devices;                    // "host[:container[:perm]]" (long form made short)
    std::vector<std::string> device_cgroup_rules;        // "c 1:3 rwm"
    std::vector<FileReference> secrets, configs;
    std::string stop_signal;
    std::optional<Duration> stop_grace_period;
    std::optional<Logging> logging;
    std::string ipc, pid, uts, cgroup, cgroup_parent, userns_mode, isolation, runtime;
    std::vector<std::string> storage_opt;
    std::map<std::string, std::string> extensions;       // x-* keys, kept as JSON text
};

struct IpamPool {
    std::string subnet, gateway, ip_range;
    StringMap aux_addresses;
};

struct Network {
    std::string key;       // key under `networks:`
    std::string name;      // real name (default <project>_<key>; external: name or key)
    std::string driver;    // "" = bridge
    StringMap driver_opts;
    bool internal = false;
    bool external = false;
    bool attachable = false;
    std::optional<bool> enable_ipv6;
    std::string ipam_driver;
    std::vector<IpamPool> ipam_config;
    StringMap labels;
};

struct Volume {
    std::string key;
    std::string name;      // real name (default <project>_<key>)
    std::string driver;    // "" = local
    StringMap driver_opts;
    bool external = false;
    StringMap labels;
};

// Top-level secret or config.
struct FileObject {
    std::string key;
    std::string name;
    std::string file;                        // absolute path
    std::string environment;                 // variable name
    std::optional<std::string> content;      // configs only
    bool external = false;
    StringMap labels;
};

struct Project {
    std::string name;                        // normalized project name
    std::string working_dir;                 // absolute project directory
    std::vector<std::string> files;          // absolute paths of the loaded files ("-" for stdin)
    std::map<std::string, Service> services; // ACTIVE services only, keyed by name
    std::map<std::string, Service> disabled_services;  // filtered out by profiles
    std::map<std::string, Network> networks;
    std::map<std::string, Volume> volumes;
    std::map<std::string, FileObject> secrets;
    std::map<std::string, FileObject> configs;
    StringMap environment;                   // the environment used for interpolation
    std::vector<std::string> profiles;       // active profiles
    // Values were interpolated (not `config --no-interpolate`): a `$` in them is a literal one,
    // printed `$$` by `config` so that its output loads again to the same project (as compose).
    bool interpolated = true;
    // Every key berth accepts but does not act on (services' and top-level ones, e.g. models:).
    std::vector<std::string> ignored;

    const Service* find_service(const std::string& n) const {
        auto it = services.find(n);
        return it == services.end() ? nullptr : &it->second;
    }
};

}  // namespace berth::compose
