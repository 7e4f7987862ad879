// The canonical renderings of a Project: JSON shaped like `docker compose config --format json`
// (sorted keys, long forms), the same as YAML, and the per-service config hash.

#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/sha256.hpp"
#include "compose/load.hpp"
#include "compose/normalize/yaml_writer.hpp"

namespace berth::compose {
namespace {

using nlohmann::json;

std::string go_duration(Duration d) {
    if (d.count() == 0) return "0s";
    std::string out = d.count() < 0 ? "-" : "";
    // The magnitude unsigned: the most negative duration has no positive int64_t (found by UBSan).
    uint64_t ns = d.count() < 0 ? 0 - static_cast<uint64_t>(d.count()) : static_cast<uint64_t>(d.count());
    if (ns < 1000000000) {
        if (ns % 1000000 == 0) return out + std::to_string(ns / 1000000) + "ms";
        if (ns % 1000 == 0) return out + std::to_string(ns / 1000) + "us";
        return out + std::to_string(ns) + "ns";
    }
    uint64_t h = ns / 3600000000000ULL;
    ns %= 3600000000000ULL;
    uint64_t m = ns / 60000000000ULL;
    ns %= 60000000000ULL;
    if (h) out += std::to_string(h) + "h";
    if (h || m) out += std::to_string(m) + "m";
    uint64_t s = ns / 1000000000, frac = ns % 1000000000;
    out += std::to_string(s);
    if (frac) {
        std::string f = std::to_string(frac);
        f = std::string(9 - f.size(), '0') + f;
        while (f.back() == '0') f.pop_back();
        out += "." + f;
    }
    return out + "s";
}

std::string range(const PortRange& r) {
    if (r.empty()) return "";
    return r.start == r.end ? std::to_string(r.start) : std::to_string(r.start) + "-" + std::to_string(r.end);
}

const char* volume_type(VolumeType t) {
    switch (t) {
        case VolumeType::Bind: return "bind";
        case VolumeType::Volume: return "volume";
        case VolumeType::Tmpfs: return "tmpfs";
        case VolumeType::Npipe: return "npipe";
        case VolumeType::Cluster: return "cluster";
        case VolumeType::Image: return "image";
    }
    return "volume";
}

template <class T>
void opt(json& j, const char* key, const std::optional<T>& v) {
    if (v) j[key] = *v;
}
// A file mode as "0440": the digits read back as octal whatever reads them (compose prints it so).
void mode(json& j, const std::optional<uint32_t>& m) {
    if (!m) return;
    char buf[16];
    std::snprintf(buf, sizeof buf, "0%o", *m);
    j["mode"] = buf;
}
void str(json& j, const char* key, const std::string& v) {
    if (!v.empty()) j[key] = v;
}
template <class C>
void list(json& j, const char* key, const C& v) {
    if (!v.empty()) j[key] = v;
}

json service_json(const Service& s) {
    json j = json::object();
    str(j, "image", s.image);
    if (s.build) {
        json b;
        b["context"] = s.build->context;
        b["dockerfile"] = s.build->dockerfile.empty() ? "Dockerfile" : s.build->dockerfile;
        opt(b, "dockerfile_inline", s.build->dockerfile_inline);
        if (!s.build->args.empty()) {
            json a = json::object();
            for (const auto& [k, v] : s.build->args) a[k] = v ? json(*v) : json(nullptr);
            b["args"] = std::move(a);
        }
        str(b, "target", s.build->target);
        list(b, "cache_from", s.build->cache_from);
        list(b, "cache_to", s.build->cache_to);
        list(b, "tags", s.build->tags);
        list(b, "platforms", s.build->platforms);
        list(b, "labels", s.build->labels);
        str(b, "network", s.build->network);
        opt(b, "shm_size", s.build->shm_size);
        list(b, "extra_hosts", s.build->extra_hosts);
        if (s.build->no_cache) b["no_cache"] = true;
        if (s.build->pull) b["pull"] = true;
        list(b, "ssh", s.build->ssh);
        if (!s.build->secrets.empty()) {
            json sec = json::array();
            for (const auto& name : s.build->secrets) sec.push_back({{"source", name}});
            b["secrets"] = std::move(sec);
        }
        j["build"] = std::move(b);
    }
    str(j, "pull_policy", s.pull_policy);
    str(j, "platform", s.platform);
    list(j, "profiles", s.profiles);
    opt(j, "command", s.command);
    opt(j, "entrypoint", s.entrypoint);
    list(j, "environment", s.environment);
    str(j, "working_dir", s.working_dir);
    str(j, "user", s.user);
    list(j, "group_add", s.group_add);
    if (!s.ports.empty()) {
        json ports = json::array();
        // a target range is one entry per port, as compose prints it
        for (const auto& p : s.ports)
            for (int i = 0; i <= p.target.end - p.target.start; ++i) {
                json pj{{"mode", p.mode}, {"target", p.target.start + i}, {"protocol", p.protocol}};
                bool paired = p.target.end != p.target.start && p.published.end - p.published.start == p.target.end - p.target.start;
                str(pj, "published", paired ? std::to_string(p.published.start + i) : range(p.published));
                str(pj, "host_ip", p.host_ip);
                str(pj, "name", p.name);
                str(pj, "app_protocol", p.app_protocol);
                ports.push_back(std::move(pj));
            }
        j["ports"] = std::move(ports);
    }
    list(j, "expose", s.expose);
    if (!s.volumes.empty()) {
        json vols = json::array();
        for (const auto& v : s.volumes) {
            json vj{{"type", volume_type(v.type)}, {"target", v.target}};
            str(vj, "source", v.source);
            if (v.read_only) vj["read_only"] = true;
            str(vj, "consistency", v.consistency);
            if (v.type == VolumeType::Bind) {
                json b{{"create_host_path", v.bind.create_host_path}};
                str(b, "propagation", v.bind.propagation);
                str(b, "selinux", v.bind.selinux);
                vj["bind"] = std::move(b);
            }
            if (v.type == VolumeType::Volume && (v.volume.nocopy || !v.volume.subpath.empty())) {
                json b = json::object();
                if (v.volume.nocopy) b["nocopy"] = true;
                str(b, "subpath", v.volume.subpath);
                vj["volume"] = std::move(b);
            }
            if (v.type == VolumeType::Tmpfs && (v.tmpfs.size || v.tmpfs.mode)) {
                json t = json::object();
                opt(t, "size", v.tmpfs.size);
                mode(t, v.tmpfs.mode);
                vj["tmpfs"] = std::move(t);
            }
            vols.push_back(std::move(vj));
        }
        j["volumes"] = std::move(vols);
    }
    list(j, "volumes_from", s.volumes_from);
    list(j, "tmpfs", s.tmpfs);
    if (!s.networks.empty()) {
        json nets = json::object();
        for (const auto& [k, n] : s.networks) {
            json nj = json::object();
            list(nj, "aliases", n.aliases);
            str(nj, "ipv4_address", n.ipv4_address);
            str(nj, "ipv6_address", n.ipv6_address);
            list(nj, "link_local_ips", n.link_local_ips);
            str(nj, "mac_address", n.mac_address);
            if (n.priority) nj["priority"] = n.priority;
            list(nj, "driver_opts", n.driver_opts);
            nets[k] = nj.empty() ? json(nullptr) : std::move(nj);
        }
        j["networks"] = std::move(nets);
    }
    str(j, "network_mode", s.network_mode);
    auto links = [](const std::vector<ServiceLink>& ls) {
        std::vector<std::string> out;
        for (const auto& l : ls) out.push_back(l.alias == l.service ? l.service : l.service + ":" + l.alias);
        return out;
    };
    list(j, "links", links(s.links));
    list(j, "external_links", links(s.external_links));
    str(j, "hostname", s.hostname);
    str(j, "domainname", s.domainname);
    str(j, "mac_address", s.mac_address);
    list(j, "dns", s.dns);
    list(j, "dns_search", s.dns_search);
    list(j, "dns_opt", s.dns_opt);
    list(j, "extra_hosts", s.extra_hosts);
    if (!s.depends_on.empty()) {
        json d = json::object();
        for (const auto& [k, v] : s.depends_on) d[k] = {{"condition", v.condition}, {"required", v.required}, {"restart", v.restart}};
        j["depends_on"] = std::move(d);
    }
    if (s.healthcheck) {
        json h = json::object();
        list(h, "test", s.healthcheck->test);
        if (s.healthcheck->interval) h["interval"] = go_duration(*s.healthcheck->interval);
        if (s.healthcheck->timeout) h["timeout"] = go_duration(*s.healthcheck->timeout);
        if (s.healthcheck->start_period) h["start_period"] = go_duration(*s.healthcheck->start_period);
        if (s.healthcheck->start_interval) h["start_interval"] = go_duration(*s.healthcheck->start_interval);
        opt(h, "retries", s.healthcheck->retries);
        if (s.healthcheck->disable) h["disable"] = true;
        j["healthcheck"] = std::move(h);
    }
    str(j, "restart", s.restart);
    opt(j, "scale", s.scale);
    if (s.deploy) {
        json d = json::object();
        opt(d, "replicas", s.deploy->replicas);
        str(d, "mode", s.deploy->mode);
        list(d, "labels", s.deploy->labels);
        auto res = [](const ResourceSpec& r) {
            json o = json::object();
            opt(o, "cpus", r.cpus);
            opt(o, "memory", r.memory);
            opt(o, "pids", r.pids);
            return o;
        };
        json r = json::object();
        if (!res(s.deploy->limits).empty()) r["limits"] = res(s.deploy->limits);
        if (!res(s.deploy->reservations).empty()) r["reservations"] = res(s.deploy->reservations);
        if (!r.empty()) d["resources"] = std::move(r);
        if (s.deploy->restart_policy) {
            json rp = json::object();
            str(rp, "condition", s.deploy->restart_policy->condition);
            if (s.deploy->restart_policy->delay) rp["delay"] = go_duration(*s.deploy->restart_policy->delay);
            if (s.deploy->restart_policy->window) rp["window"] = go_duration(*s.deploy->restart_policy->window);
            opt(rp, "max_attempts", s.deploy->restart_policy->max_attempts);
            d["restart_policy"] = std::move(rp);
        }
        j["deploy"] = std::move(d);
    }
    list(j, "labels", s.labels);
    list(j, "annotations", s.annotations);
    str(j, "container_name", s.container_name);
    if (s.tty) j["tty"] = true;
    if (s.stdin_open) j["stdin_open"] = true;
    if (s.read_only) j["read_only"] = true;
    if (s.privileged) j["privileged"] = true;
    opt(j, "init", s.init);
    if (!s.attach) j["attach"] = false;
    list(j, "cap_add", s.cap_add);
    list(j, "cap_drop", s.cap_drop);
    list(j, "security_opt", s.security_opt);
    if (!s.ulimits.empty()) {
        json u = json::object();
        for (const auto& [k, v] : s.ulimits) u[k] = v.soft == v.hard ? json(v.soft) : json{{"soft", v.soft}, {"hard", v.hard}};
        j["ulimits"] = std::move(u);
    }
    list(j, "sysctls", s.sysctls);
    opt(j, "mem_limit", s.mem_limit);
    opt(j, "memswap_limit", s.memswap_limit);
    opt(j, "mem_reservation", s.mem_reservation);
    opt(j, "shm_size", s.shm_size);
    opt(j, "mem_swappiness", s.mem_swappiness);
    opt(j, "cpus", s.cpus);
    opt(j, "cpu_shares", s.cpu_shares);
    opt(j, "cpu_quota", s.cpu_quota);
    opt(j, "cpu_period", s.cpu_period);
    opt(j, "cpu_rt_runtime", s.cpu_rt_runtime);
    opt(j, "cpu_rt_period", s.cpu_rt_period);
    str(j, "cpuset", s.cpuset);
    opt(j, "pids_limit", s.pids_limit);
    opt(j, "oom_score_adj", s.oom_score_adj);
    opt(j, "blkio_weight", s.blkio_weight);
    if (s.oom_kill_disable) j["oom_kill_disable"] = true;
    list(j, "devices", s.devices);
    list(j, "device_cgroup_rules", s.device_cgroup_rules);
    auto refs = [](const std::vector<FileReference>& rs) {
        json out = json::array();
        for (const auto& r : rs) {
            json rj{{"source", r.source}, {"target", r.target}};
            str(rj, "uid", r.uid);
            str(rj, "gid", r.gid);
            mode(rj, r.mode);
            out.push_back(std::move(rj));
        }
        return out;
    };
    if (!s.secrets.empty()) j["secrets"] = refs(s.secrets);
    if (!s.configs.empty()) j["configs"] = refs(s.configs);
    str(j, "stop_signal", s.stop_signal);
    if (s.stop_grace_period) j["stop_grace_period"] = go_duration(*s.stop_grace_period);
    if (s.logging) {
        json l = json::object();
        str(l, "driver", s.logging->driver);
        list(l, "options", s.logging->options);
        j["logging"] = std::move(l);
    }
    str(j, "ipc", s.ipc);
    str(j, "pid", s.pid);
    str(j, "uts", s.uts);
    str(j, "cgroup", s.cgroup);
    str(j, "cgroup_parent", s.cgroup_parent);
    str(j, "userns_mode", s.userns_mode);
    str(j, "isolation", s.isolation);
    str(j, "runtime", s.runtime);
    list(j, "storage_opt", s.storage_opt);
    for (const auto& [k, v] : s.extensions) j[k] = json::parse(v);
    return j;
}

json project_json(const Project& p) {
    json j = json::object();
    j["name"] = p.name;
    json services = json::object();
    for (const auto& [k, s] : p.services) services[k] = service_json(s);
    j["services"] = std::move(services);
    if (!p.networks.empty()) {
        json nets = json::object();
        for (const auto& [k, n] : p.networks) {
            json nj{{"name", n.name}};
            str(nj, "driver", n.driver);
            list(nj, "driver_opts", n.driver_opts);
            if (n.internal) nj["internal"] = true;
            if (n.external) nj["external"] = true;
            if (n.attachable) nj["attachable"] = true;
            opt(nj, "enable_ipv6", n.enable_ipv6);
            if (!n.ipam_driver.empty() || !n.ipam_config.empty()) {
                json ipam = json::object();
                str(ipam, "driver", n.ipam_driver);
                json cfg = json::array();
                for (const auto& c : n.ipam_config) {
                    json cj = json::object();
                    str(cj, "subnet", c.subnet);
                    str(cj, "gateway", c.gateway);
                    str(cj, "ip_range", c.ip_range);
                    list(cj, "aux_addresses", c.aux_addresses);
                    cfg.push_back(std::move(cj));
                }
                if (!cfg.empty()) ipam["config"] = std::move(cfg);
                nj["ipam"] = std::move(ipam);
            }
            list(nj, "labels", n.labels);
            nets[k] = std::move(nj);
        }
        j["networks"] = std::move(nets);
    }
    if (!p.volumes.empty()) {
        json vols = json::object();
        for (const auto& [k, v] : p.volumes) {
            json vj{{"name", v.name}};
            str(vj, "driver", v.driver);
            list(vj, "driver_opts", v.driver_opts);
            if (v.external) vj["external"] = true;
            list(vj, "labels", v.labels);
            vols[k] = std::move(vj);
        }
        j["volumes"] = std::move(vols);
    }
    for (const auto* section : {&p.secrets, &p.configs}) {
        if (section->empty()) continue;
        json out = json::object();
        for (const auto& [k, f] : *section) {
            json fj{{"name", f.name}};
            str(fj, "file", f.file);
            str(fj, "environment", f.environment);
            opt(fj, "content", f.content);
            if (f.external) fj["external"] = true;
            list(fj, "labels", f.labels);
            out[k] = std::move(fj);
        }
        j[section == &p.secrets ? "secrets" : "configs"] = std::move(out);
    }
    return j;
}

}  // namespace

namespace {

std::string escape_dollars(const std::string& s) {
    std::string out;
    out.reserve(s.size() + 2);
    for (char c : s) {
        out.push_back(c);
        if (c == '$') out.push_back('$');
    }
    return out;
}

// Every `$` of keys and values doubled, in place (what compose's `config` does to its output).
void escape(json& j) {
    if (j.is_string()) {
        if (j.get_ref<const std::string&>().find('$') != std::string::npos) j = escape_dollars(j.get<std::string>());
    } else if (j.is_array()) {
        for (auto& i : j) escape(i);
    } else if (j.is_object()) {
        std::vector<std::string> renamed;
        for (auto it = j.begin(); it != j.end(); ++it) {
            escape(it.value());
            if (it.key().find('$') != std::string::npos) renamed.push_back(it.key());
        }
        for (const auto& k : renamed) {
            json v = std::move(j[k]);
            j.erase(k);
            j[escape_dollars(k)] = std::move(v);
        }
    }
}

json printed(const Project& p) {
    json j = project_json(p);
    if (p.interpolated) escape(j);
    return j;
}

}  // namespace

std::string to_json(const Project& p, int indent) { return printed(p).dump(indent) + "\n"; }

std::string to_yaml(const Project& p) { return yaml_text(printed(p)); }

std::string config_hash(const Service& s) {
    Service copy = s;
    // what does not change the container itself
    copy.scale.reset();
    if (copy.deploy) copy.deploy->replicas.reset();
    copy.profiles.clear();
    copy.depends_on.clear();
    copy.extensions.erase("develop");  // watch rules: how berth watch syncs, not the container
    return sha256_hex(service_json(copy).dump());
}

}  // namespace berth::compose
