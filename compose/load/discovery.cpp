#include "compose/load/discovery.hpp"

#include "base/error.hpp"

namespace berth::compose::load {
namespace fs = std::filesystem;

namespace {

constexpr const char* kCandidates[] = {"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml",
                                       "fig.yml", "fig.yaml"};

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t p = s.find(sep, start);
        std::string part = s.substr(start, p == std::string::npos ? std::string::npos : p - start);
        if (!part.empty()) out.push_back(part);
        if (p == std::string::npos) break;
        start = p + 1;
    }
    return out;
}

std::string absolute_existing(const std::string& f, const fs::path& cwd) {
    if (f == "-") return f;
    fs::path p = fs::path(f).is_absolute() ? fs::path(f) : cwd / f;
    p = p.lexically_normal();
    std::error_code ec;
    if (!fs::exists(p, ec)) throw UserError("open " + p.string() + ": no such file or directory");
    return p.string();
}

}  // namespace

std::vector<std::string> discover_files(const std::vector<std::string>& given, const fs::path& cwd,
                                        const std::map<std::string, std::string>& env) {
    std::vector<std::string> out;
    if (!given.empty()) {
        for (const auto& f : given) out.push_back(absolute_existing(f, cwd));
        return out;
    }
    if (auto it = env.find("COMPOSE_FILE"); it != env.end() && !it->second.empty()) {
        char sep = ':';
        if (auto s = env.find("COMPOSE_PATH_SEPARATOR"); s != env.end() && s->second.size() == 1) sep = s->second[0];
        for (const auto& f : split(it->second, sep)) out.push_back(absolute_existing(f, cwd));
        return out;
    }
    std::error_code ec;
    for (fs::path dir = cwd;; dir = dir.parent_path()) {
        for (const char* name : kCandidates) {
            fs::path p = dir / name;
            if (!fs::is_regular_file(p, ec)) continue;
            out.push_back(p.string());
            std::string stem = p.stem().string(), ext = p.extension().string();
            for (const std::string& o : {stem + ".override" + ext, stem + ".override" + (ext == ".yml" ? ".yaml" : ".yml")})
                if (fs::is_regular_file(dir / o, ec)) {
                    out.push_back((dir / o).string());
                    break;
                }
            return out;
        }
        if (dir == dir.root_path() || dir.empty()) break;
    }
    throw UserError("no configuration file provided: not found (looked for compose.yaml, compose.yml, "
                    "docker-compose.yaml, docker-compose.yml, fig.yml, fig.yaml in " + cwd.string() + " and its parents)");
}

}  // namespace berth::compose::load
