#include "compose/load/load_raw.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "base/error.hpp"
#include "base/name_limits.hpp"
#include "compose/load/discovery.hpp"
#include "compose/load/document.hpp"
#include "compose/load/dotenv.hpp"
#include "compose/load/merge.hpp"

extern char** environ;

namespace berth::compose::load {
namespace fs = std::filesystem;

namespace {

std::map<std::string, std::string> process_env() {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string kv = *e;
        size_t eq = kv.find('=');
        if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
    }
    return env;
}

std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t p = s.find(',', start);
        std::string part = s.substr(start, p == std::string::npos ? std::string::npos : p - start);
        if (!part.empty()) out.push_back(part);
        if (p == std::string::npos) return out;
        start = p + 1;
    }
}

// "web (/p/compose.yaml)" for an extends chain key "/p/compose.yaml#web".
std::string shown(const std::string& key) {
    size_t hash = key.rfind('#');
    return key.substr(hash + 1) + " (" + key.substr(0, hash) + ")";
}

// `extends`, following chains within the file and into other files.
class Extender {
 public:
    explicit Extender(const DocumentContext& ctx) : ctx_(ctx) {}

    Node resolve(const Node& services, const std::string& name, const std::string& file, std::vector<std::string>& chain) {
        const Node* svc = services.find(name);
        if (!svc) throw UserError("service \"" + name + "\" not found in " + file);
        // (canonical: the same file named two ways must still be seen as a cycle)
        std::error_code ec;
        fs::path canonical = file == "-" ? fs::path(file) : fs::weakly_canonical(file, ec);
        std::string key = (ec ? file : canonical.string()) + "#" + name;
        if (auto at = std::find(chain.begin(), chain.end(), key); at != chain.end()) {
            std::string cycle;  // "a (/p/compose.yaml) -> b (/p/base.yaml) -> a (/p/compose.yaml)"
            for (; at != chain.end(); ++at) cycle += shown(*at) + " -> ";
            fail(*svc, "services." + name + ".extends", "circular extends: " + cycle + shown(key));
        }
        const Node* ext = svc->find("extends");
        if (!ext) return *svc;
        chain.push_back(key);
        std::string base_name, base_file;
        if (ext->is_scalar()) {
            base_name = ext->scalar;
        } else {
            if (const Node* s = ext->find("service")) base_name = s->scalar;
            if (const Node* f = ext->find("file")) base_file = f->scalar;
        }
        Node base;
        if (base_file.empty() || base_file == file) {
            if (!services.has(base_name))
                fail(*ext, "services." + name + ".extends",
                     "cannot extend service \"" + name + "\": service \"" + base_name + "\" not found");
            base = resolve(services, base_name, file, chain);
        } else {
            const Node& other = document(base_file, *ext, name);
            const Node* other_services = other.find("services");
            if (!other_services || !other_services->has(base_name))
                fail(*ext, "services." + name + ".extends",
                     "cannot extend service \"" + name + "\": service \"" + base_name + "\" not found in " + base_file);
            base = resolve(*other_services, base_name, base_file, chain);
        }
        chain.pop_back();
        Node me = *svc;
        me.erase("extends");
        return merge_nodes(base, me, "services." + name);
    }

 private:
    const Node& document(const std::string& file, const Node& at, const std::string& name) {
        auto it = docs_.find(file);
        if (it != docs_.end()) return it->second;
        std::error_code ec;
        if (!fs::exists(file, ec))
            fail(at, "services." + name + ".extends", "cannot extend service \"" + name + "\": " + file + " not found");
        return docs_.emplace(file, read_document(file, ctx_, fs::path(file).parent_path())).first->second;
    }

    const DocumentContext& ctx_;
    std::map<std::string, Node> docs_;
};

// env_file entries read into `environment` (explicit environment entries win).
void apply_env_files(Node& service, const std::string& name, const std::map<std::string, std::string>& env) {
    const Node* ef = service.find("env_file");
    if (!ef) return;
    std::vector<const Node*> entries;
    if (ef->is_seq())
        for (const auto& e : ef->items) entries.push_back(&e);
    else
        entries.push_back(ef);
    Lookup lookup = [&env](const std::string& k) -> std::optional<std::string> {
        auto it = env.find(k);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
    std::map<std::string, std::string> values;
    for (const Node* e : entries) {
        std::string path;
        bool required = true;
        if (e->is_scalar()) {
            path = e->scalar;
        } else if (e->is_map()) {
            if (const Node* p = e->find("path")) path = p->scalar;
            if (const Node* r = e->find("required")) required = r->scalar != "false";
        }
        std::error_code ec;
        if (!fs::exists(path, ec)) {
            if (!required) continue;
            fail(*e, "services." + name + ".env_file", "env file " + path + " not found");
        }
        for (auto& [k, v] : read_dotenv(path, lookup)) values[k] = v;
    }
    Node merged = Node::make_map(ef->mark);
    for (auto& [k, v] : values) merged.set(k, Node::make_scalar(v, ef->mark));
    if (const Node* explicit_env = service.find("environment")) merged = merge_nodes(merged, *explicit_env, "services.x.environment");
    service.set("environment", std::move(merged));
}

// Names a service needs to run: depends_on, links, volumes_from, network_mode service:x.
std::vector<std::string> dependencies(const Node& service) {
    std::vector<std::string> out;
    if (const Node* d = service.find("depends_on")) {
        for (const auto& i : d->items)
            if (i.is_scalar()) out.push_back(i.scalar);
        for (const auto& [k, v] : d->fields) out.push_back(k);
    }
    if (const Node* l = service.find("links"))
        for (const auto& i : l->items)
            if (i.is_scalar()) out.push_back(i.scalar.substr(0, i.scalar.find(':')));
    if (const Node* vf = service.find("volumes_from"))
        for (const auto& i : vf->items)
            if (i.is_scalar() && i.scalar.rfind("container:", 0) != 0) out.push_back(i.scalar.substr(0, i.scalar.find(':')));
    for (const char* key : {"network_mode", "net"})
        if (const Node* nm = service.find(key); nm && nm->is_scalar() && nm->scalar.rfind("service:", 0) == 0)
            out.push_back(nm->scalar.substr(8));
    return out;
}

void apply_profiles(RawProject& raw, const std::vector<std::string>& explicit_services) {
    Node& services = *raw.document.find("services");
    bool all = std::find(raw.profiles.begin(), raw.profiles.end(), "*") != raw.profiles.end();
    std::set<std::string> enabled;
    for (const auto& [name, svc] : services.fields) {
        const Node* p = svc.find("profiles");
        bool on = !p || p->items.empty() || all;
        if (p)
            for (const auto& i : p->items)
                if (std::find(raw.profiles.begin(), raw.profiles.end(), i.scalar) != raw.profiles.end()) on = true;
        if (on) enabled.insert(name);
    }
    // Services named on the command line, and what they need, run whatever their profiles.
    std::vector<std::string> todo(explicit_services.begin(), explicit_services.end());
    while (!todo.empty()) {
        std::string n = todo.back();
        todo.pop_back();
        const Node* svc = services.find(n);
        if (!svc || !enabled.insert(n).second) continue;
        for (auto& d : dependencies(*svc)) todo.push_back(d);
    }
    raw.disabled_services = Node::make_map();
    Node kept = Node::make_map(services.mark);
    for (auto& [name, svc] : services.fields)
        (enabled.count(name) ? kept : raw.disabled_services).fields.emplace_back(name, std::move(svc));
    services = std::move(kept);
}

std::string project_name(const LoadOptions& opts, const Node& doc, const std::map<std::string, std::string>& env,
                         const fs::path& dir) {
    // Given names must already be valid (compose-go's WithName); only a directory name is normalized.
    auto checked = [](const std::string& n) {
        if (normalize_project_name(n) != n)
            throw UserError("invalid project name \"" + shown_name(n) +
                            "\": must contain only lowercase letters, digits, dashes and underscores, and start with "
                            "a letter or digit");
        return n;
    };
    // compose's precedence: -p, then COMPOSE_PROJECT_NAME, then the file's name:, then the directory
    if (!opts.project_name.empty()) return checked(opts.project_name);
    if (auto it = env.find("COMPOSE_PROJECT_NAME"); it != env.end() && !it->second.empty()) return checked(it->second);
    if (const Node* n = doc.find("name"); n && n->is_scalar() && !n->scalar.empty()) return checked(n->scalar);
    return normalize_project_name(dir.filename().string());
}

}  // namespace

RawProject load_raw(const LoadOptions& opts) {
    RawProject raw;
    std::map<std::string, std::string> env = opts.env ? *opts.env : process_env();
    fs::path cwd = opts.working_dir.empty() ? fs::current_path() : fs::absolute(opts.working_dir);
    // Without -f, the files are looked for in --project-directory when given (as compose does).
    fs::path search_dir = opts.project_directory.empty() ? cwd : fs::absolute(cwd / opts.project_directory).lexically_normal();
    raw.files = discover_files(opts.files, opts.files.empty() ? search_dir : cwd, env);

    fs::path project_dir = !opts.project_directory.empty() ? fs::absolute(cwd / opts.project_directory).lexically_normal()
                           : raw.files.front() == "-"     ? cwd
                                                          : fs::path(raw.files.front()).parent_path();
    if (project_dir.has_filename() == false && project_dir != project_dir.root_path()) project_dir = project_dir.parent_path();
    raw.working_dir = project_dir.string();

    std::vector<std::string> env_files;
    for (const auto& f : opts.env_files) env_files.push_back((fs::path(f).is_absolute() ? fs::path(f) : cwd / f).string());
    // COMPOSE_DISABLE_ENV_FILE (a true value, as compose parses it) keeps the project's .env out.
    auto dotenv_off = [&] {
        auto it = env.find("COMPOSE_DISABLE_ENV_FILE");
        if (it == env.end()) return false;
        const std::string& v = it->second;
        return v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True";
    };
    if (opts.env_files.empty() && !dotenv_off() && fs::is_regular_file(project_dir / ".env"))
        env_files.push_back((project_dir / ".env").string());
    add_env_files(env, env_files);
    raw.environment = env;

    DocumentContext ctx;
    ctx.env = env;
    ctx.interpolate = opts.interpolate;
    ctx.resolve_paths = opts.resolve_paths;
    ctx.home = env.count("HOME") ? env.at("HOME") : "/root";
    ctx.stdin_content = opts.stdin_content;
    ctx.stdin_given = !opts.stdin_content.empty();

    // ${COMPOSE_PROJECT_NAME} interpolates to the project's name (as compose defines it): known
    // before reading from -p, the environment or the directory; a file's own name: changes it, and
    // then the files are read again with that one.
    std::string pre_name = !opts.project_name.empty() ? opts.project_name
                           : env.count("COMPOSE_PROJECT_NAME") && !env.at("COMPOSE_PROJECT_NAME").empty()
                               ? env.at("COMPOSE_PROJECT_NAME")
                               : "";
    std::string guessed = pre_name;
    if (guessed.empty()) try {
            guessed = normalize_project_name(project_dir.filename().string());
        } catch (const UserError&) {  // a directory name that makes none: the file's name: must say it
        }
    auto read_all = [&](const std::string& name) {
        ctx.env["COMPOSE_PROJECT_NAME"] = name;
        Node merged;
        for (const auto& f : raw.files) {
            Node one = read_document(f, ctx, project_dir);
            merged = merged.is_null() ? std::move(one) : merge_nodes(merged, one);
        }
        return merged;
    };
    Node doc = read_all(guessed);
    if (pre_name.empty())
        if (const Node* n = doc.find("name"); n && n->is_scalar() && !n->scalar.empty() && n->scalar != guessed)
            doc = read_all(n->scalar);
    // The top-level sections, as maps (a `!reset` one is taken away by strip_merge_tags below, and
    // comes back empty).
    auto ensure_sections = [&doc] {
        for (const char* section : {"services", "networks", "volumes", "secrets", "configs"}) {
            Node* s = doc.find(section);
            if (!s || s->is_null()) doc.set(section, Node::make_map(doc.mark));
        }
    };
    ensure_sections();

    Node& services = *doc.find("services");
    Extender extender(ctx);
    // Every `extends` is resolved against the services as merged (they are "this file" for an
    // extends without file:) before any of them is replaced.
    std::vector<std::pair<size_t, Node>> extended;
    for (size_t i = 0; i < services.fields.size(); ++i) {
        const auto& [name, svc] = services.fields[i];
        std::vector<std::string> chain;
        if (svc.is_map() && svc.has("extends")) extended.emplace_back(i, extender.resolve(services, name, raw.files.front(), chain));
    }
    for (auto& [i, resolved] : extended) services.fields[i].second = std::move(resolved);
    // `!reset`/`!override` apply to what a service inherits through extends too: dropped only now.
    strip_merge_tags(doc);  // may remove top-level keys: `services` no longer names the section
    ensure_sections();
    for (auto& [name, svc] : doc.find("services")->fields) {
        if (svc.is_null()) svc = Node::make_map(svc.mark);
        apply_env_files(svc, name, env);
    }

    raw.name = project_name(opts, doc, env, project_dir);
    raw.profiles = opts.profiles;
    if (raw.profiles.empty())
        if (auto it = env.find("COMPOSE_PROFILES"); it != env.end()) raw.profiles = split_commas(it->second);
    raw.document = std::move(doc);
    apply_profiles(raw, opts.explicit_services);
    for (const auto& s : opts.explicit_services)
        if (!raw.document.find("services")->has(s)) throw UserError("no such service: " + s);
    return raw;
}

}  // namespace berth::compose::load
