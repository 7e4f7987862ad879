#include "compose/load/relative_paths.hpp"

#include <cctype>

namespace berth::compose::load {
namespace fs = std::filesystem;

namespace {

bool is_remote(const std::string& s) {
    return s.find("://") != std::string::npos || s.rfind("git@", 0) == 0 || s.rfind("github.com/", 0) == 0;
}

// In a short volume "SRC:DST[:MODE]", SRC is a host path when it starts with '.', '/' or '~'.
bool looks_like_path(const std::string& s) { return !s.empty() && (s[0] == '.' || s[0] == '/' || s[0] == '~'); }

void resolve_scalar(Node& n, const fs::path& base, const std::string& home) {
    if (n.is_scalar()) n.scalar = resolve_host_path(n.scalar, base, home);
}

}  // namespace

std::string resolve_host_path(const std::string& path, const fs::path& base, const std::string& home) {
    if (path.empty() || is_remote(path)) return path;
    if (path == "~" || path.rfind("~/", 0) == 0) return (fs::path(home) / path.substr(path.size() > 1 ? 2 : 1)).lexically_normal().string();
    fs::path p(path);
    if (p.is_absolute()) return path;
    // a Windows host path ("C:\\data", "C:/data") is absolute there: kept as written, as compose does
    if (path.size() > 2 && std::isalpha(static_cast<unsigned char>(path[0])) && path[1] == ':' && (path[2] == '\\' || path[2] == '/'))
        return path;
    std::string out = (base / p).lexically_normal().string();
    if (out.size() > 1 && out.back() == '/') out.pop_back();
    return out;
}

void resolve_service_paths(Node& service, const fs::path& base, const std::string& home) {
    if (!service.is_map()) return;
    if (Node* b = service.find("build")) {
        if (b->is_scalar()) {
            resolve_scalar(*b, base, home);
        } else if (b->is_map()) {
            if (Node* c = b->find("context"))
                resolve_scalar(*c, base, home);
            else
                b->set("context", Node::make_scalar(base.string(), b->mark));
        }
    }
    if (Node* vols = service.find("volumes"); vols && vols->is_seq()) {
        for (auto& v : vols->items) {
            if (v.is_scalar()) {
                size_t colon = v.scalar.find(':');
                if (colon == std::string::npos) continue;
                std::string src = v.scalar.substr(0, colon);
                if (looks_like_path(src)) v.scalar = resolve_host_path(src, base, home) + v.scalar.substr(colon);
            } else if (v.is_map()) {
                const Node* type = v.find("type");
                Node* src = v.find("source");
                if (src && src->is_scalar() && ((type && type->is_scalar() && type->scalar == "bind") ||
                                                (!type && looks_like_path(src->scalar))))
                    resolve_scalar(*src, base, home);
            }
        }
    }
    if (Node* ef = service.find("env_file")) {
        auto one = [&](Node& e) {
            if (e.is_scalar())
                resolve_scalar(e, base, home);
            else if (e.is_map())
                if (Node* p = e.find("path")) resolve_scalar(*p, base, home);
        };
        if (ef->is_seq())
            for (auto& e : ef->items) one(e);
        else
            one(*ef);
    }
    if (Node* ext = service.find("extends"); ext && ext->is_map())
        if (Node* f = ext->find("file")) resolve_scalar(*f, base, home);
    // develop.watch paths: relative to the file that names them, as compose resolves them
    if (Node* dev = service.find("develop"); dev && dev->is_map())
        if (Node* w = dev->find("watch"); w && w->is_seq())
            for (auto& rule : w->items)
                if (rule.is_map())
                    if (Node* p = rule.find("path")) resolve_scalar(*p, base, home);
}

void resolve_document_paths(Node& doc, const fs::path& base, const std::string& home) {
    for (const char* section : {"secrets", "configs"})
        if (Node* s = doc.find(section); s && s->is_map())
            for (auto& [k, v] : s->fields)
                if (v.is_map())
                    if (Node* f = v.find("file")) resolve_scalar(*f, base, home);
    if (Node* services = doc.find("services"); services && services->is_map())
        for (auto& [k, v] : services->fields) resolve_service_paths(v, base, home);
}

}  // namespace berth::compose::load
