#include "compose/normalize/normalize.hpp"

#include "base/name_limits.hpp"
#include "compose/graph.hpp"
#include "compose/normalize/service.hpp"
#include "compose/normalize/values.hpp"

namespace berth::compose {
namespace {

using norm::boolean;
using norm::list_or_map;
using norm::str;

// `external: true`, or the legacy `external: {name: x}`.
bool external(const Node& v, const std::string& path, std::string& name) {
    const Node* e = v.find("external");
    if (!e) return false;
    if (e->is_map()) {
        if (const Node* n = e->find("name")) name = str(*n, path + ".external.name");
        return true;
    }
    return boolean(*e, path + ".external");
}

Network network(const std::string& project, const std::string& key, const Node& v) {
    Network n;
    n.key = key;
    std::string path = "networks." + key;
    std::string given;
    if (v.is_map()) {
        n.external = external(v, path, given);
        if (const Node* x = v.find("name")) given = str(*x, path + ".name");
        if (const Node* x = v.find("driver")) n.driver = str(*x, path + ".driver");
        if (const Node* x = v.find("driver_opts")) n.driver_opts = list_or_map(*x, path + ".driver_opts");
        if (const Node* x = v.find("internal")) n.internal = boolean(*x, path + ".internal");
        if (const Node* x = v.find("attachable")) n.attachable = boolean(*x, path + ".attachable");
        if (const Node* x = v.find("enable_ipv6")) n.enable_ipv6 = boolean(*x, path + ".enable_ipv6");
        if (const Node* x = v.find("labels")) n.labels = list_or_map(*x, path + ".labels");
        if (const Node* ipam = v.find("ipam"); ipam && ipam->is_map()) {
            if (const Node* d = ipam->find("driver")) n.ipam_driver = str(*d, path + ".ipam.driver");
            if (const Node* cfg = ipam->find("config"))
                for (const auto& c : cfg->items) {
                    IpamPool pool;
                    if (const Node* x = c.find("subnet")) pool.subnet = str(*x, path + ".ipam.config.subnet");
                    if (const Node* x = c.find("gateway")) pool.gateway = str(*x, path + ".ipam.config.gateway");
                    if (const Node* x = c.find("ip_range")) pool.ip_range = str(*x, path + ".ipam.config.ip_range");
                    if (const Node* x = c.find("aux_addresses")) pool.aux_addresses = list_or_map(*x, path + ".ipam.config.aux_addresses");
                    n.ipam_config.push_back(pool);
                }
        }
    }
    n.name = !given.empty() ? given : n.external ? key : project + "_" + key;
    return n;
}

Volume volume(const std::string& project, const std::string& key, const Node& v) {
    Volume out;
    out.key = key;
    std::string path = "volumes." + key;
    std::string given;
    if (v.is_map()) {
        out.external = external(v, path, given);
        if (const Node* x = v.find("name")) given = str(*x, path + ".name");
        if (const Node* x = v.find("driver")) out.driver = str(*x, path + ".driver");
        if (const Node* x = v.find("driver_opts")) out.driver_opts = list_or_map(*x, path + ".driver_opts");
        if (const Node* x = v.find("labels")) out.labels = list_or_map(*x, path + ".labels");
    }
    out.name = !given.empty() ? given : out.external ? key : project + "_" + key;
    return out;
}

FileObject file_object(const std::string& project, const std::string& section, const std::string& key, const Node& v) {
    FileObject f;
    f.key = key;
    std::string path = section + "." + key;
    std::string given;
    if (v.is_map()) {
        f.external = external(v, path, given);
        if (const Node* x = v.find("name")) given = str(*x, path + ".name");
        if (const Node* x = v.find("file")) f.file = str(*x, path + ".file");
        if (const Node* x = v.find("environment")) f.environment = str(*x, path + ".environment");
        if (const Node* x = v.find("content")) f.content = str(*x, path + ".content");
        if (const Node* x = v.find("labels")) f.labels = list_or_map(*x, path + ".labels");
    }
    f.name = !given.empty() ? given : f.external ? key : project + "_" + key;
    return f;
}

const Node& service_node(const RawProject& raw, const std::string& name, const char* key) {
    const Node& s = *raw.document.find("services")->find(name);
    const Node* k = s.find(key);
    return k ? *k : s;
}

void check_references(const RawProject& raw, Project& p) {
    for (auto& [name, s] : p.services) {
        std::string base = "services." + name;
        for (const auto& [net, _] : s.networks)
            if (!p.networks.count(net))
                fail(service_node(raw, name, "networks"), base + ".networks",
                     "service \"" + name + "\" refers to undefined network " + net);
        for (const auto& v : s.volumes)
            if (v.type == VolumeType::Volume && !v.source.empty() && !p.volumes.count(v.source))
                fail(service_node(raw, name, "volumes"), base + ".volumes",
                     "service \"" + name + "\" refers to undefined volume " + v.source);
        for (const auto& r : s.secrets)
            if (!p.secrets.count(r.source))
                fail(service_node(raw, name, "secrets"), base + ".secrets",
                     "service \"" + name + "\" refers to undefined secret " + r.source);
        for (const auto& r : s.configs)
            if (!p.configs.count(r.source))
                fail(service_node(raw, name, "configs"), base + ".configs",
                     "service \"" + name + "\" refers to undefined config " + r.source);
        for (const auto& [dep, d] : s.depends_on)
            if (!p.services.count(dep) && d.required)
                fail(service_node(raw, name, "depends_on"), base + ".depends_on",
                     "service \"" + name + "\" depends on undefined service \"" + dep + "\"");
    }
}

}  // namespace

Project normalize(const RawProject& raw) {
    Project p;
    p.name = raw.name;
    p.working_dir = raw.working_dir;
    p.files = raw.files;
    p.environment = raw.environment;
    p.profiles = raw.profiles;
    const Node& doc = raw.document;
    for (const auto& [k, v] : doc.find("networks")->fields) p.networks[k] = network(p.name, k, v);
    for (const auto& [k, v] : doc.find("volumes")->fields) p.volumes[k] = volume(p.name, k, v);
    for (const auto& [k, v] : doc.find("secrets")->fields) p.secrets[k] = file_object(p.name, "secrets", k, v);
    for (const auto& [k, v] : doc.find("configs")->fields) p.configs[k] = file_object(p.name, "configs", k, v);
    for (const auto& [k, v] : doc.find("services")->fields) {
        if (k.size() > kMaxNameLength)
            fail(v, "services", "service name \"" + shown_name(k) + "\" is longer than " + std::to_string(kMaxNameLength) +
                                    " characters");
        p.services[k] = norm::service(k, v, raw.environment);
    }
    for (const auto& [k, v] : raw.disabled_services.fields) p.disabled_services[k] = norm::service(k, v, raw.environment);
    // A service with no networks and no network_mode joins the project's `default` network.
    // Naming `default` explicitly (`networks: [default]`) joins the same implicit network.
    for (auto& [name, s] : p.services) {
        if (s.networks.empty() && s.network_mode.empty()) s.networks["default"] = {};
        if (s.networks.count("default") && !p.networks.count("default"))
            p.networks["default"] = network(p.name, "default", Node());
    }
    for (const auto& [k, v] : doc.fields)
        if (k == "models") p.ignored.push_back(v.mark.file.str() + ":" + std::to_string(v.mark.line) + ": " + k);
    for (const auto& [_, s] : p.services) p.ignored.insert(p.ignored.end(), s.ignored.begin(), s.ignored.end());
    check_references(raw, p);
    DependencyGraph graph(p);  // refuses cycles and unknown links / volumes_from / network_mode services
    return p;
}

}  // namespace berth::compose
