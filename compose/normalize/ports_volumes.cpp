#include "compose/normalize/ports_volumes.hpp"

#include <cctype>

#include "compose/normalize/values.hpp"

namespace berth::compose::norm {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t p = s.find(sep, start);
        out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
        if (p == std::string::npos) return out;
        start = p + 1;
    }
}

std::optional<PortRange> parse_range(const std::string& s) {
    if (s.empty()) return PortRange{};
    auto num = [](const std::string& t) -> std::optional<uint16_t> {
        if (t.empty() || t.size() > 5) return std::nullopt;
        for (char c : t)
            if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
        long v = std::stol(t);
        if (v < 1 || v > 65535) return std::nullopt;
        return static_cast<uint16_t>(v);
    };
    size_t dash = s.find('-');
    auto a = num(s.substr(0, dash));
    auto b = dash == std::string::npos ? a : num(s.substr(dash + 1));
    if (!a || !b || *b < *a) return std::nullopt;
    return PortRange{*a, *b};
}

ServicePort short_port(const Node& n, const std::string& path) {
    std::string s = str(n, path);
    ServicePort p;
    std::string spec = s;
    if (size_t slash = spec.rfind('/'); slash != std::string::npos) {
        p.protocol = spec.substr(slash + 1);
        spec = spec.substr(0, slash);
    }
    std::string ip, published, target;
    if (!spec.empty() && spec[0] == '[') {
        size_t close = spec.find(']');
        if (close == std::string::npos || close + 1 >= spec.size() || spec[close + 1] != ':')
            fail(n, path, "\"" + s + "\" is not a valid port mapping");
        ip = spec.substr(1, close - 1);
        auto rest = split(spec.substr(close + 2), ':');
        if (rest.size() != 2) fail(n, path, "\"" + s + "\" is not a valid port mapping");
        published = rest[0];
        target = rest[1];
    } else {
        auto parts = split(spec, ':');
        if (parts.size() == 1) {
            target = parts[0];
        } else if (parts.size() == 2) {
            published = parts[0];
            target = parts[1];
        } else {
            target = parts.back();
            published = parts[parts.size() - 2];
            for (size_t i = 0; i + 2 < parts.size(); ++i) ip += (i ? ":" : "") + parts[i];
        }
    }
    auto t = parse_range(target);
    auto pub = parse_range(published);
    if (!t || t->empty() || !pub) fail(n, path, "\"" + s + "\" is not a valid port mapping");
    // (a host range for one container port is allowed: up takes a free port of the range)
    if (!pub->empty() && pub->end - pub->start != t->end - t->start && pub->end != pub->start && t->end != t->start)
        fail(n, path, "\"" + s + "\": published and target port ranges differ in size");
    if (p.protocol != "tcp" && p.protocol != "udp" && p.protocol != "sctp")
        fail(n, path, "\"" + s + "\": unknown protocol \"" + p.protocol + "\"");
    p.host_ip = ip;
    p.target = *t;
    p.published = *pub;
    return p;
}

ServicePort long_port(const Node& n, const std::string& path) {
    ServicePort p;
    for (const auto& [k, v] : n.fields) {
        std::string kp = path + "." + k;
        if (k == "target") {
            auto r = parse_range(str(v, kp));
            if (!r || r->empty()) fail(v, kp, "\"" + v.scalar + "\" is not a valid port");
            p.target = *r;
        } else if (k == "published") {
            auto r = parse_range(str(v, kp));
            if (!r) fail(v, kp, "\"" + v.scalar + "\" is not a valid port or range");
            p.published = *r;
        } else if (k == "host_ip") {
            p.host_ip = str(v, kp);
        } else if (k == "protocol") {
            p.protocol = str(v, kp);
        } else if (k == "mode") {
            p.mode = str(v, kp);
        } else if (k == "name") {
            p.name = str(v, kp);
        } else if (k == "app_protocol") {
            p.app_protocol = str(v, kp);
        }
    }
    if (p.target.empty()) fail(n, path, "a port needs a target");
    return p;
}

// "C:\data" or "C:/data": a Windows host path, kept as written (compose does).
bool is_windows_path(const std::string& s) {
    return s.size() > 2 && std::isalpha(static_cast<unsigned char>(s[0])) && s[1] == ':' && (s[2] == '\\' || s[2] == '/');
}

bool is_path(const std::string& s) { return !s.empty() && (s[0] == '/' || s[0] == '.' || s[0] == '~' || is_windows_path(s)); }

ServiceVolume short_volume(const Node& n, const std::string& path) {
    std::string s = str(n, path);
    ServiceVolume v;
    auto parts = split(s, ':');
    if (parts.size() > 2 && is_windows_path(s)) {  // the drive's colon is not a separator
        parts[1] = parts[0] + ":" + parts[1];
        parts.erase(parts.begin());
    }
    if (parts.size() == 1) {
        v.target = parts[0];
    } else {
        v.source = parts[0];
        v.target = parts[1];
        if (parts.size() > 3) fail(n, path, "\"" + s + "\" is not a valid volume specification");
        if (parts.size() == 3)
            for (const auto& opt : split(parts[2], ',')) {
                if (opt == "ro") v.read_only = true;
                else if (opt == "rw") v.read_only = false;
                else if (opt == "z" || opt == "Z") v.bind.selinux = opt;
                else if (opt == "nocopy") v.volume.nocopy = true;
                else if (opt == "rprivate" || opt == "private" || opt == "rshared" || opt == "shared" || opt == "rslave" || opt == "slave")
                    v.bind.propagation = opt;
                else if (opt == "consistent" || opt == "cached" || opt == "delegated") v.consistency = opt;
                else fail(n, path, "\"" + s + "\": unknown volume option \"" + opt + "\"");
            }
    }
    if (v.target.empty() || v.target[0] != '/') fail(n, path, "\"" + s + "\": the container path must be absolute");
    v.type = v.source.empty() ? VolumeType::Volume : is_path(v.source) ? VolumeType::Bind : VolumeType::Volume;
    return v;
}

ServiceVolume long_volume(const Node& n, const std::string& path) {
    ServiceVolume v;
    const Node* type = n.find("type");
    std::string t = type ? str(*type, path + ".type") : "volume";
    if (t == "bind") v.type = VolumeType::Bind;
    else if (t == "volume") v.type = VolumeType::Volume;
    else if (t == "tmpfs") v.type = VolumeType::Tmpfs;
    else if (t == "npipe") v.type = VolumeType::Npipe;
    else if (t == "cluster") v.type = VolumeType::Cluster;
    else if (t == "image") v.type = VolumeType::Image;
    else fail(*type, path + ".type", "unknown volume type \"" + t + "\"");
    for (const auto& [k, val] : n.fields) {
        std::string kp = path + "." + k;
        if (k == "source") v.source = str(val, kp);
        else if (k == "target") v.target = str(val, kp);
        else if (k == "read_only") v.read_only = boolean(val, kp);
        else if (k == "consistency") v.consistency = str(val, kp);
        else if (k == "bind" && val.is_map()) {
            if (const Node* p = val.find("propagation")) v.bind.propagation = str(*p, kp + ".propagation");
            if (const Node* c = val.find("create_host_path")) v.bind.create_host_path = boolean(*c, kp + ".create_host_path");
            if (const Node* z = val.find("selinux")) v.bind.selinux = str(*z, kp + ".selinux");
        } else if (k == "volume" && val.is_map()) {
            if (const Node* c = val.find("nocopy")) v.volume.nocopy = boolean(*c, kp + ".nocopy");
            if (const Node* s = val.find("subpath")) v.volume.subpath = str(*s, kp + ".subpath");
        } else if (k == "tmpfs" && val.is_map()) {
            if (const Node* s = val.find("size")) v.tmpfs.size = bytes(*s, kp + ".size");
            if (const Node* m = val.find("mode")) v.tmpfs.mode = file_mode(*m, kp + ".mode");
        }
    }
    // the long syntax does not create a missing bind source unless asked
    if (v.type == VolumeType::Bind && !(n.find("bind") && n.find("bind")->find("create_host_path"))) v.bind.create_host_path = false;
    if (v.target.empty()) fail(n, path, "a volume needs a target");
    if (v.type == VolumeType::Bind && v.source.empty()) fail(n, path, "a bind mount needs a source");
    return v;
}

}  // namespace

std::vector<ServicePort> ports(const Node& n, const std::string& path) {
    std::vector<ServicePort> out;
    if (n.is_null()) return out;
    if (!n.is_seq()) fail(n, path, "must be a list");
    for (size_t i = 0; i < n.items.size(); ++i) {
        std::string p = path + "[" + std::to_string(i) + "]";
        out.push_back(n.items[i].is_map() ? long_port(n.items[i], p) : short_port(n.items[i], p));
    }
    return out;
}

std::vector<ServiceVolume> volumes(const Node& n, const std::string& path) {
    std::vector<ServiceVolume> out;
    if (n.is_null()) return out;
    if (!n.is_seq()) fail(n, path, "must be a list");
    for (size_t i = 0; i < n.items.size(); ++i) {
        std::string p = path + "[" + std::to_string(i) + "]";
        out.push_back(n.items[i].is_map() ? long_volume(n.items[i], p) : short_volume(n.items[i], p));
    }
    return out;
}

}  // namespace berth::compose::norm
