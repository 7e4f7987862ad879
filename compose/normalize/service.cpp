#include "compose/normalize/service.hpp"

#include <algorithm>

#include "compose/normalize/key_support.hpp"
#include "compose/normalize/ports_volumes.hpp"
#include "compose/normalize/values.hpp"
#include "engine/runtime/device_rules.hpp"

namespace berth::compose::norm {
namespace {

std::vector<FileReference> file_refs(const Node& v, const std::string& path, bool secrets);

// "file:line: " of a value, for warnings that name where the user wrote it.
std::string where(const SourceMark& m) {
    if (m.file.empty()) return "";
    return m.file.str() + (m.line > 0 ? ":" + std::to_string(m.line) : "") + ": ";
}

std::vector<std::string> command_form(const Node& v, const std::string& path) {
    if (v.is_scalar()) return shell_split(v.scalar);
    return string_list(v, path);
}

BuildConfig build(const Node& v, const std::string& path) {
    BuildConfig b;
    if (v.is_scalar()) {
        b.context = v.scalar;
        return b;
    }
    for (const auto& [k, x] : v.fields) {
        std::string kp = path + "." + k;
        if (k == "context") b.context = str(x, kp);
        else if (k == "dockerfile") b.dockerfile = str(x, kp);
        else if (k == "dockerfile_inline") b.dockerfile_inline = str(x, kp);
        else if (k == "args") {
            if (x.is_map()) {
                for (const auto& [ak, av] : x.fields) b.args[ak] = av.is_null() ? std::nullopt : std::optional(str(av, kp + "." + ak));
            } else {
                for (const auto& s : string_list(x, kp)) {
                    size_t eq = s.find('=');
                    b.args[s.substr(0, eq)] = eq == std::string::npos ? std::nullopt : std::optional(s.substr(eq + 1));
                }
            }
        } else if (k == "target") b.target = str(x, kp);
        else if (k == "cache_from") b.cache_from = string_list(x, kp), b.unused.push_back(where(x.mark) + kp);
        else if (k == "cache_to") b.cache_to = string_list(x, kp), b.unused.push_back(where(x.mark) + kp);
        else if (k == "tags") b.tags = string_list(x, kp);
        else if (k == "platforms") b.platforms = string_list(x, kp), b.unused.push_back(where(x.mark) + kp);
        else if (k == "labels") b.labels = list_or_map(x, kp);
        else if (k == "network") {
            b.network = str(x, kp);
            // What BuildKit (and berth's builder) can give RUN steps; not a project network.
            if (b.network != "default" && b.network != "none" && b.network != "host")
                fail(x, kp, "unsupported network mode \"" + b.network + "\" (default, none or host)");
        }
        else if (k == "shm_size") b.shm_size = bytes(x, kp);
        else if (k == "extra_hosts") {
            require_one_line(x, kp);
            for (auto& [h, ip] : list_or_map(x, kp, nullptr, true)) b.extra_hosts.push_back(h + ":" + ip);
        }
        else if (k == "no_cache") b.no_cache = boolean(x, kp);
        else if (k == "pull") b.pull = boolean(x, kp);
        else if (k == "ssh") {
            for (const auto& [id, sock] : list_or_map(x, kp)) b.ssh.push_back(sock.empty() ? id : id + "=" + sock);
        } else if (k == "secrets") {
            for (const auto& r : file_refs(x, kp, true)) b.secrets.push_back(r.source);
        } else {
            // additional_contexts, isolation, privileged, ulimits, entitlements, ... and the
            // x- extensions (which nobody expects to be used)
            if (k.rfind("x-", 0) != 0) b.unused.push_back(where(x.mark) + kp);
        }
    }
    return b;
}

Healthcheck healthcheck(const Node& v, const std::string& path) {
    Healthcheck h;
    for (const auto& [k, x] : v.fields) {
        std::string kp = path + "." + k;
        if (k == "test") {
            if (x.is_scalar()) h.test = {"CMD-SHELL", x.scalar};
            else h.test = string_list(x, kp);
            if (!h.test.empty() && h.test[0] == "NONE") h.disable = true;
        } else if (k == "interval") h.interval = duration(x, kp);
        else if (k == "timeout") h.timeout = duration(x, kp);
        else if (k == "start_period") h.start_period = duration(x, kp);
        else if (k == "start_interval") h.start_interval = duration(x, kp);
        else if (k == "retries") h.retries = integer(x, kp);
        else if (k == "disable") h.disable = boolean(x, kp);
    }
    return h;
}

ResourceSpec resources(const Node& v, const std::string& path) {
    ResourceSpec r;
    if (const Node* c = v.find("cpus")) r.cpus = number(*c, path + ".cpus");
    if (const Node* m = v.find("memory")) r.memory = bytes(*m, path + ".memory");
    if (const Node* p = v.find("pids")) r.pids = integer(*p, path + ".pids");
    return r;
}

Deploy deploy(const Node& v, const std::string& path) {
    Deploy d;
    for (const auto& [k, x] : v.fields) {
        std::string kp = path + "." + k;
        if (k == "replicas") d.replicas = integer(x, kp);
        else if (k == "mode") d.mode = str(x, kp);
        else if (k == "labels") d.labels = list_or_map(x, kp);
        else if (k == "resources") {
            if (const Node* l = x.find("limits")) d.limits = resources(*l, kp + ".limits");
            if (const Node* r = x.find("reservations")) d.reservations = resources(*r, kp + ".reservations");
        } else if (k == "restart_policy") {
            RestartPolicy rp;
            if (const Node* c = x.find("condition")) rp.condition = str(*c, kp + ".condition");
            if (const Node* c = x.find("delay")) rp.delay = duration(*c, kp + ".delay");
            if (const Node* c = x.find("window")) rp.window = duration(*c, kp + ".window");
            if (const Node* c = x.find("max_attempts")) rp.max_attempts = integer(*c, kp + ".max_attempts");
            d.restart_policy = rp;
        }
    }
    return d;
}

std::vector<FileReference> file_refs(const Node& v, const std::string& path, bool secrets) {
    std::vector<FileReference> out;
    for (size_t i = 0; i < v.items.size(); ++i) {
        const Node& x = v.items[i];
        std::string kp = path + "[" + std::to_string(i) + "]";
        FileReference r;
        if (x.is_scalar()) {
            r.source = x.scalar;
        } else {
            if (const Node* s = x.find("source")) r.source = str(*s, kp + ".source");
            if (const Node* t = x.find("target")) r.target = str(*t, kp + ".target");
            if (const Node* u = x.find("uid")) r.uid = str(*u, kp + ".uid");
            if (const Node* g = x.find("gid")) r.gid = str(*g, kp + ".gid");
            if (const Node* m = x.find("mode")) r.mode = file_mode(*m, kp + ".mode");
        }
        if (r.target.empty()) r.target = secrets ? "/run/secrets/" + r.source : "/" + r.source;
        else if (secrets && r.target[0] != '/') r.target = "/run/secrets/" + r.target;
        out.push_back(r);
    }
    return out;
}

std::vector<ServiceLink> links(const Node& v, const std::string& path) {
    std::vector<ServiceLink> out;
    for (const auto& s : string_list(v, path)) {
        size_t c = s.find(':');
        out.push_back({s.substr(0, c), c == std::string::npos ? s.substr(0, c) : s.substr(c + 1)});
    }
    return out;
}

void restart_value(const Node& v, const std::string& path, const std::string& r) {
    if (r.empty() || r == "no" || r == "always" || r == "unless-stopped" || r == "on-failure") return;
    if (r.rfind("on-failure:", 0) == 0 && r.size() > 11 && r.find_first_not_of("0123456789", 11) == std::string::npos) return;
    fail(v, path, "invalid restart policy \"" + r + "\" (no, always, on-failure[:N], unless-stopped)");
}

// Short "HOST[:CONTAINER][:PERMS]" or long {source, target, permissions}: kept in the short form
// (all three parts of a long one), checked as `berth container run --device` checks it.
std::vector<std::string> devices(const Node& v, const std::string& path) {
    std::vector<std::string> out;
    for (size_t i = 0; i < v.items.size(); ++i) {
        const Node& item = v.items[i];
        std::string ip = path + "[" + std::to_string(i) + "]";
        std::string d;
        if (item.is_map()) {
            const Node* source = item.find("source");
            if (!source) fail(item, ip, "a device needs a source");
            d = str(*source, ip + ".source");
            const Node* target = item.find("target");
            const Node* perms = item.find("permissions");
            if (target || perms) d += ":" + (target ? str(*target, ip + ".target") : d);
            if (perms) d += ":" + str(*perms, ip + ".permissions");
        } else {
            d = str(item, ip);
        }
        try {
            engine::parse_device_mapping(d);
        } catch (const UserError& e) {
            fail(item, ip, e.what());
        }
        out.push_back(d);
    }
    return out;
}

std::vector<std::string> device_cgroup_rules(const Node& v, const std::string& path) {
    std::vector<std::string> out = string_list(v, path);
    for (size_t i = 0; i < out.size(); ++i) {
        try {
            engine::parse_device_rule(out[i]);
        } catch (const UserError& e) {
            fail(v.is_seq() && i < v.items.size() ? v.items[i] : v, path + "[" + std::to_string(i) + "]", e.what());
        }
    }
    return out;
}

// Every container keeps a json-file log (`logs` and a foreground `up` read it): another driver
// (none, syslog, journald ...) is said to be ignored, where it is written.
void warn_log_driver(Service& s, const Node& where_node, const std::string& path, const std::string& driver) {
    if (driver.empty() || driver == "json-file" || driver == "local") return;
    s.ignored.push_back(where(where_node.mark) + path + " \"" + driver + "\" (berth keeps a json-file log)");
}

}  // namespace

Service service(const std::string& name, const Node& n, const StringMap& env) {
    Service s;
    s.name = name;
    const std::string base = "services." + name;
    for (const auto& [k, v] : n.fields) {
        const std::string p = base + "." + k;
        // parsed below all the same (config prints it), but not acted on: said so (key_support.hpp)
        if (service_key_warned(k)) s.ignored.push_back(where(v.mark) + p);
        if (k.rfind("x-", 0) == 0) s.extensions[k] = to_json(v).dump();
        else if (k == "image") s.image = str(v, p);
        else if (k == "build") s.build = build(v, p);
        else if (k == "pull_policy") s.pull_policy = str(v, p);
        else if (k == "platform") s.platform = str(v, p);
        else if (k == "profiles") s.profiles = string_list(v, p);
        else if (k == "command") { if (!v.is_null()) s.command = command_form(v, p); }
        else if (k == "entrypoint") { if (!v.is_null()) s.entrypoint = command_form(v, p); }
        else if (k == "environment") s.environment = list_or_map(v, p, &env);
        else if (k == "env_file") {
            auto one = [&](const Node& e, const std::string& ep) {
                EnvFile f;
                if (e.is_scalar()) f.path = e.scalar;
                else {
                    if (const Node* x = e.find("path")) f.path = str(*x, ep + ".path");
                    if (const Node* x = e.find("required")) f.required = boolean(*x, ep + ".required");
                }
                s.env_file.push_back(f);
            };
            if (v.is_seq()) for (size_t i = 0; i < v.items.size(); ++i) one(v.items[i], p + "[" + std::to_string(i) + "]");
            else one(v, p);
        }
        else if (k == "working_dir") s.working_dir = str(v, p);
        else if (k == "user") s.user = str(v, p);
        else if (k == "group_add") s.group_add = string_list(v, p);
        else if (k == "ports") s.ports = ports(v, p);
        else if (k == "expose") s.expose = string_list(v, p);
        else if (k == "volumes") s.volumes = volumes(v, p);
        else if (k == "volumes_from") s.volumes_from = string_list(v, p);
        else if (k == "tmpfs") s.tmpfs = string_list(v, p);
        else if (k == "networks") {
            if (v.is_seq()) {
                for (const auto& net : string_list(v, p)) s.networks[net] = {};
            } else {
                for (const auto& [nk, nv] : v.fields) {
                    ServiceNetwork sn;
                    std::string np = p + "." + nk;
                    if (nv.is_map()) {
                        if (const Node* a = nv.find("aliases")) sn.aliases = string_list(*a, np + ".aliases");
                        if (const Node* a = nv.find("ipv4_address")) sn.ipv4_address = str(*a, np + ".ipv4_address");
                        if (const Node* a = nv.find("ipv6_address")) sn.ipv6_address = str(*a, np + ".ipv6_address");
                        if (const Node* a = nv.find("link_local_ips")) sn.link_local_ips = string_list(*a, np + ".link_local_ips");
                        if (const Node* a = nv.find("mac_address")) sn.mac_address = str(*a, np + ".mac_address");
                        if (const Node* a = nv.find("priority")) sn.priority = static_cast<int>(integer(*a, np + ".priority"));
                        if (const Node* a = nv.find("driver_opts")) sn.driver_opts = list_or_map(*a, np + ".driver_opts");
                        for (const auto& [ak, av] : nv.fields)
                            if (service_network_key_warned(ak)) s.ignored.push_back(where(av.mark) + np + "." + ak);
                    }
                    s.networks[nk] = sn;
                }
            }
        }
        else if (k == "network_mode" || k == "net") s.network_mode = str(v, p);
        else if (k == "links") s.links = links(v, p);
        else if (k == "external_links") s.external_links = links(v, p);
        else if (k == "hostname") s.hostname = one_line(v, p);
        else if (k == "domainname") s.domainname = one_line(v, p);
        else if (k == "dns") s.dns = one_line_list(v, p);
        else if (k == "dns_search") s.dns_search = one_line_list(v, p);
        else if (k == "dns_opt") s.dns_opt = one_line_list(v, p);
        else if (k == "mac_address") s.mac_address = str(v, p);
        else if (k == "extra_hosts") {
            require_one_line(v, p);
            if (v.is_map()) {  // {host: ip} or {host: [ip, ip]}
                for (const auto& [h, ips] : v.fields)
                    for (const auto& ip : string_list(ips, p + "." + h)) s.extra_hosts.push_back(h + ":" + ip);
            } else {  // "host:ip" or "host=ip"; a host may be listed with several addresses
                for (const auto& e : string_list(v, p)) {
                    size_t sep = e.find('=');
                    if (sep == std::string::npos) sep = e.find(':');
                    s.extra_hosts.push_back(sep == std::string::npos ? e + ":" : e.substr(0, sep) + ":" + e.substr(sep + 1));
                }
            }
            // as compose prints them: sorted, each host:ip once
            std::sort(s.extra_hosts.begin(), s.extra_hosts.end());
            s.extra_hosts.erase(std::unique(s.extra_hosts.begin(), s.extra_hosts.end()), s.extra_hosts.end());
        }
        else if (k == "depends_on") {
            if (v.is_seq()) {
                for (const auto& d : string_list(v, p)) s.depends_on[d] = {};
            } else {
                for (const auto& [dk, dv] : v.fields) {
                    ServiceDependency d;
                    std::string dp = p + "." + dk;
                    if (dv.is_map()) {
                        if (const Node* c = dv.find("condition")) d.condition = str(*c, dp + ".condition");
                        if (const Node* c = dv.find("restart")) d.restart = boolean(*c, dp + ".restart");
                        if (const Node* c = dv.find("required")) d.required = boolean(*c, dp + ".required");
                    }
                    if (d.condition != "service_started" && d.condition != "service_healthy" &&
                        d.condition != "service_completed_successfully")
                        fail(dv.find("condition") ? *dv.find("condition") : dv, dp + ".condition",
                             "unknown condition \"" + d.condition + "\"");
                    s.depends_on[dk] = d;
                }
            }
        }
        else if (k == "healthcheck") s.healthcheck = healthcheck(v, p);
        else if (k == "restart") { s.restart = str(v, p); restart_value(v, p, s.restart); }
        else if (k == "scale") s.scale = integer(v, p);
        else if (k == "deploy") s.deploy = deploy(v, p);
        else if (k == "labels") s.labels = list_or_map(v, p);
        else if (k == "annotations") s.annotations = list_or_map(v, p);
        else if (k == "container_name") s.container_name = str(v, p);
        else if (k == "tty") s.tty = boolean(v, p);
        else if (k == "stdin_open") s.stdin_open = boolean(v, p);
        else if (k == "read_only") s.read_only = boolean(v, p);
        else if (k == "privileged") s.privileged = boolean(v, p);
        else if (k == "init") s.init = boolean(v, p);
        else if (k == "attach") s.attach = boolean(v, p);
        else if (k == "cap_add") s.cap_add = string_list(v, p);
        else if (k == "cap_drop") s.cap_drop = string_list(v, p);
        else if (k == "security_opt") s.security_opt = string_list(v, p);
        else if (k == "ulimits") {
            for (const auto& [uk, uv] : v.fields) {
                Ulimit u;
                if (uv.is_map()) {
                    if (const Node* x = uv.find("soft")) u.soft = integer(*x, p + "." + uk + ".soft");
                    if (const Node* x = uv.find("hard")) u.hard = integer(*x, p + "." + uk + ".hard");
                } else {
                    u.soft = u.hard = integer(uv, p + "." + uk);
                }
                s.ulimits[uk] = u;
            }
        }
        else if (k == "sysctls") s.sysctls = list_or_map(v, p);
        else if (k == "mem_limit") s.mem_limit = bytes(v, p);
        else if (k == "memswap_limit") s.memswap_limit = v.scalar == "-1" ? -1 : bytes(v, p);
        else if (k == "mem_reservation") s.mem_reservation = bytes(v, p);
        else if (k == "shm_size") s.shm_size = bytes(v, p);
        else if (k == "mem_swappiness") s.mem_swappiness = integer(v, p);
        else if (k == "cpus") s.cpus = number(v, p);
        else if (k == "cpu_shares") s.cpu_shares = integer(v, p);
        else if (k == "cpu_quota") s.cpu_quota = integer(v, p);
        else if (k == "cpu_period") s.cpu_period = integer(v, p);
        else if (k == "cpu_rt_runtime") s.cpu_rt_runtime = integer(v, p);
        else if (k == "cpu_rt_period") s.cpu_rt_period = integer(v, p);
        else if (k == "cpuset") s.cpuset = str(v, p);
        else if (k == "pids_limit") s.pids_limit = integer(v, p);
        else if (k == "oom_score_adj") s.oom_score_adj = integer(v, p);
        else if (k == "blkio_weight") s.blkio_weight = integer(v, p);
        else if (k == "oom_kill_disable") s.oom_kill_disable = boolean(v, p);
        else if (k == "devices") s.devices = devices(v, p);
        else if (k == "device_cgroup_rules") s.device_cgroup_rules = device_cgroup_rules(v, p);
        else if (k == "secrets") s.secrets = file_refs(v, p, true);
        else if (k == "configs") s.configs = file_refs(v, p, false);
        else if (k == "stop_signal") s.stop_signal = str(v, p);
        else if (k == "stop_grace_period") s.stop_grace_period = duration(v, p);
        else if (k == "logging") {
            Logging l;
            if (const Node* d = v.find("driver")) {
                l.driver = str(*d, p + ".driver");
                warn_log_driver(s, *d, p + ".driver", l.driver);
            }
            if (const Node* o = v.find("options")) l.options = list_or_map(*o, p + ".options");
            s.logging = l;
        }
        else if (k == "log_driver") {
            if (!s.logging) s.logging = Logging{};
            s.logging->driver = str(v, p);
            warn_log_driver(s, v, p, s.logging->driver);
        }
        else if (k == "log_opt") { if (!s.logging) s.logging = Logging{}; s.logging->options = list_or_map(v, p); }
        else if (k == "ipc") s.ipc = str(v, p);
        else if (k == "pid") s.pid = str(v, p);
        else if (k == "uts") s.uts = str(v, p);
        else if (k == "cgroup") s.cgroup = str(v, p);
        else if (k == "cgroup_parent") s.cgroup_parent = str(v, p);
        else if (k == "userns_mode") s.userns_mode = str(v, p);
        else if (k == "isolation") s.isolation = str(v, p);
        else if (k == "runtime") s.runtime = str(v, p);
        // lifecycle hooks: run by the orchestration (service_hooks.hpp), kept as written
        else if (k == "post_start" || k == "pre_stop") s.extensions[k] = to_json(v).dump();
        // read by the loader (env_file into environment), or only about how compose runs
        else if (k == "env_file" || k == "extends" || k == "version") continue;
        // Fig's `dockerfile:` beside `build: DIR` (applied after the loop: build may come later)
        else if (k == "dockerfile") continue;
        // develop.watch: read by `berth watch` (cli/compose_watch.cpp) as the schema checked it
        else if (k == "develop") s.extensions[k] = to_json(v).dump();
        // lifecycle hooks, provider services, develop.watch, models, ...: valid, not acted on
        else {
            if (!service_key_warned(k)) s.ignored.push_back(where(v.mark) + p);
            // printed by config as written (with `extensions`): a provider service has no image,
            // and its output must load again
            if (k == "provider") s.extensions[k] = to_json(v).dump();
        }
    }
    if (const Node* d = n.find("dockerfile"); d && s.build) s.build->dockerfile = str(*d, base + ".dockerfile");
        // deploy.resources and the legacy keys describe the same limits; legacy keys win as compose does
    if (s.deploy) {
        if (!s.mem_limit && s.deploy->limits.memory) s.mem_limit = s.deploy->limits.memory;
        if (!s.cpus && s.deploy->limits.cpus) s.cpus = s.deploy->limits.cpus;
        if (!s.pids_limit && s.deploy->limits.pids) s.pids_limit = s.deploy->limits.pids;
        if (!s.mem_reservation && s.deploy->reservations.memory) s.mem_reservation = s.deploy->reservations.memory;
        if (!s.scale && s.deploy->replicas) s.scale = s.deploy->replicas;
    }
    // (a provider service is run by a compose plugin, not from an image; berth warns about it)
    if (s.image.empty() && !s.build && !n.has("provider"))
        fail(n, base, "service \"" + name + "\" has neither an image nor a build context specified");
    if (!s.container_name.empty() && s.scale && *s.scale > 1)
        fail(n, base, "service \"" + name + "\" has container_name and more than one replica");
    return s;
}

}  // namespace berth::compose::norm
