#include "compose/normalize/key_support.hpp"

namespace berth::compose::norm {

const std::vector<ServiceKeyUse>& service_key_uses() {
    using enum KeyUse;
    static const std::vector<ServiceKeyUse> table = {
        {"annotations", Warned, "{a: b}"},           // OCI annotations: no runtime consumer here
        {"attach", Orchestration, ""},         // foreground `up` output
        {"blkio_config", Warned, "{weight: 300}"},
        {"build", Orchestration, ""},
        {"cap_add", Spec, "[NET_ADMIN]"},
        {"cap_drop", Spec, "[CHOWN]"},
        {"cgroup", Warned, "host"},                // berth always gives a cgroup namespace
        {"cgroup_parent", Warned, "mygroup"},         // containers' cgroups are always under berth/
        {"command", Spec, "[echo, hi]"},
        {"configs", Spec, ""},                 // file mounts (integration tests)
        {"container_name", Orchestration, ""},
        {"cpu_count", Warned, "2"},             // Windows
        {"cpu_percent", Warned, "50"},           // Windows
        {"cpu_period", Spec, "50000"},
        {"cpu_quota", Spec, "20000"},
        {"cpu_rt_period", Warned, "1000"},         // needs a real-time group scheduler kernel
        {"cpu_rt_runtime", Warned, "100"},
        {"cpu_shares", Spec, "512"},
        {"cpus", Spec, "0.5"},
        {"cpuset", Spec, "\"0\""},
        {"credential_spec", Warned, "{file: x.json}"},       // Windows
        {"depends_on", Orchestration, ""},
        {"deploy", Spec, "{resources: {limits: {memory: 64m}}}"},
        {"develop", Orchestration, ""},        // develop.watch: read by `berth watch`
        {"device_cgroup_rules", Spec, "[\"c 1:3 rwm\"]"},
        {"devices", Spec, "[/dev/null:/dev/xnull]"},
        {"dns", Orchestration, ""},            // resolv.conf (orchestration)
        {"dns_opt", Orchestration, ""},
        {"dns_search", Orchestration, ""},
        {"dockerfile", Loader, ""},            // Fig's, beside build:
        {"domainname", Spec, "example.org"},
        {"entrypoint", Spec, "[/bin/sh]"},
        {"env_file", Loader, ""},
        {"environment", Spec, "{A: b}"},
        {"expose", Orchestration, ""},         // link variables
        {"extends", Loader, ""},
        {"external_links", Orchestration, ""},
        {"extra_hosts", Orchestration, ""},
        {"gpus", Warned, "all"},                  // no GPU runtime hooks
        {"group_add", Spec, "[\"1234\"]"},
        {"healthcheck", Spec, "{test: [CMD, \"true\"]}"},
        {"hostname", Spec, "box"},
        {"image", Spec, "other"},
        {"init", Spec, "true"},
        {"ipc", Spec, "host"},
        {"isolation", Warned, "default"},             // Windows
        {"label_file", Warned, "labels.env"},
        {"labels", Spec, "{a: b}"},
        {"links", Orchestration, ""},
        {"log_driver", Spec, ""},              // json-file/local; others warned when the spec is made
        {"log_opt", Spec, "{max-size: 1m}"},
        {"logging", Spec, "{options: {max-size: 1m}}"},
        {"mac_address", Orchestration, ""},    // the first network's interface
        {"mem_limit", Spec, "64m"},
        {"mem_reservation", Spec, "32m"},
        {"mem_swappiness", Warned, "10"},        // cgroup v2 has no per-cgroup swappiness
        {"memswap_limit", Spec, "128m"},
        {"models", Warned, "[m]"},
        {"net", Spec, "host"},
        {"network_mode", Spec, "none"},
        {"networks", Orchestration, ""},
        {"oom_kill_disable", Warned, "true"},      // cgroup v2 has no OOM-killer switch
        {"oom_score_adj", Spec, "100"},
        {"pid", Spec, "host"},
        {"pids_limit", Spec, "100"},
        {"platform", Spec, ""},               // refuses an image of another platform (own test)
        {"ports", Orchestration, ""},
        {"post_start", Orchestration, ""},     // exec'd after the start (service_hooks.hpp)
        {"pre_start", Warned, "[{command: [\"true\"]}]"},
        {"pre_stop", Orchestration, ""},       // exec'd before the stop
        {"privileged", Spec, "true"},
        {"profiles", Loader, ""},
        {"provider", Warned, "{type: x}"},
        {"pull_policy", Orchestration, ""},
        {"pull_refresh_after", Warned, "1h"},
        {"read_only", Spec, "true"},
        {"restart", Spec, "always"},
        {"runtime", Warned, "runc"},
        {"scale", Orchestration, ""},
        {"secrets", Spec, ""},                 // file mounts (integration tests)
        {"security_opt", Spec, "[no-new-privileges]"},
        {"shm_size", Spec, "128m"},
        {"stdin_open", Spec, "true"},
        {"stop_grace_period", Spec, "1m"},
        {"stop_signal", Spec, "SIGINT"},
        {"storage_opt", Warned, "{size: 1G}"},
        {"sysctls", Spec, "{net.core.somaxconn: 1024}"},
        {"tmpfs", Spec, ""},                   // mounts: resolved by the orchestration (volumes tests)
        {"tty", Spec, "true"},
        {"ulimits", Spec, "{nofile: 1024}"},
        {"use_api_socket", Warned, "true"},
        {"user", Spec, "nobody"},
        {"userns_mode", Warned, "host"},
        {"uts", Spec, "host"},
        {"volume_driver", Warned, "local"},
        {"volumes", Spec, ""},                 // mounts: resolved by the orchestration (volumes tests)
        {"volumes_from", Spec, ""},           // needs another container: its own test
        {"working_dir", Spec, "/tmp"},
    };
    return table;
}

const ServiceKeyUse* service_key_use(std::string_view key) {
    for (const auto& k : service_key_uses())
        if (k.key == key) return &k;
    return nullptr;
}

bool service_key_warned(std::string_view key) {
    const ServiceKeyUse* k = service_key_use(key);
    return k && k->use == KeyUse::Warned;
}

bool service_network_key_warned(std::string_view key) {
    return key == "link_local_ips" || key == "priority" || key == "gw_priority" || key == "driver_opts";
}

}  // namespace berth::compose::norm
