#include "compose/load/document.hpp"

#include <algorithm>
#include <iostream>
#include <iterator>

#include "base/file_io.hpp"
#include "compose/load/dotenv.hpp"
#include "compose/load/interpolate.hpp"
#include "compose/load/merge.hpp"
#include "compose/load/relative_paths.hpp"
#include "compose/load/yaml_reader.hpp"
#include "schema/validate.hpp"

namespace berth::compose::load {
namespace fs = std::filesystem;

namespace {

bool is_extension(const std::string& k) { return k.rfind("x-", 0) == 0; }

// Fig and compose file format 1: services at the top level.
void convert_fig(Node& doc) {
    // A file with any top-level key of the compose format (one holding only volumes: or
    // networks: or name:, as an override or include often does) is not a Fig file.
    for (const char* k : {"services", "networks", "volumes", "secrets", "configs", "name", "include", "models"})
        if (doc.has(k)) return;
    if (const Node* v = doc.find("version"); v && v->is_scalar() && !v->scalar.empty() && v->scalar[0] != '1') return;
    Node services = Node::make_map(doc.mark);
    Node out = Node::make_map(doc.mark);
    for (auto& [k, v] : doc.fields) {
        if (is_extension(k) || k == "version" || k == "name")
            out.fields.emplace_back(k, v);
        else
            services.fields.emplace_back(k, v);
    }
    out.fields.emplace_back("services", std::move(services));
    doc = std::move(out);
}

void validate_schema(const Node& doc) {
    auto violations = schema::validate(to_json(doc));  // (without the `!reset` entries)
    if (violations.empty()) return;
    const auto& v = violations.front();
    const Node* at = nullptr;
    for (size_t n = v.path.size() + 1; n-- > 0 && !at;)
        at = find_path(doc, std::vector<std::string>(v.path.begin(), v.path.begin() + static_cast<long>(n)));
    fail(at ? *at : doc, schema::format_path(v.path), v.message);
}

std::vector<std::string> scalar_list(const Node& n) {
    std::vector<std::string> out;
    if (n.is_scalar()) out.push_back(n.scalar);
    for (const auto& i : n.items)
        if (i.is_scalar()) out.push_back(i.scalar);
    return out;
}

std::string chain_key(const std::string& file) {
    if (file == "-") return file;
    std::error_code ec;
    fs::path p = fs::weakly_canonical(file, ec);
    return ec ? file : p.string();
}

// "a.yaml -> b.yaml -> a.yaml" for the error naming an include cycle.
std::string cycle_text(const std::vector<std::string>& chain, const std::string& again) {
    std::string out;
    for (auto it = std::find(chain.begin(), chain.end(), again); it != chain.end(); ++it) out += *it + " -> ";
    return out + again;
}

void include_projects(Node& doc, const DocumentContext& ctx, const fs::path& base_dir, const std::string& file) {
    Node* inc = doc.find("include");
    if (!inc) return;
    std::vector<std::string> chain = ctx.include_chain;
    chain.push_back(chain_key(file));
    Node includes = *inc;
    doc.erase("include");
    for (const auto& item : includes.items) {
        std::vector<std::string> paths = scalar_list(item.is_map() && item.find("path") ? *item.find("path") : item);
        if (paths.empty()) fail(item, "include", "include needs a path");
        for (auto& p : paths) p = resolve_host_path(p, base_dir, ctx.home);
        fs::path project_dir = fs::path(paths.front()).parent_path();
        if (item.is_map())
            if (const Node* pd = item.find("project_directory"); pd && pd->is_scalar())
                project_dir = resolve_host_path(pd->scalar, base_dir, ctx.home);
        DocumentContext sub = ctx;
        sub.include_chain = chain;
        std::vector<std::string> env_files;
        if (item.is_map() && item.find("env_file")) {
            for (auto& f : scalar_list(*item.find("env_file"))) env_files.push_back(resolve_host_path(f, base_dir, ctx.home));
        } else if (fs::exists(project_dir / ".env")) {
            env_files.push_back((project_dir / ".env").string());
        }
        add_env_files(sub.env, env_files);
        Node merged;
        for (const auto& p : paths) {
            std::error_code ec;
            if (!fs::exists(p, ec)) fail(item, "include", "included file " + p + " not found");
            if (std::string key = chain_key(p); std::find(chain.begin(), chain.end(), key) != chain.end())
                fail(item, "include", "include cycle: " + cycle_text(chain, key));
            Node one = read_document(p, sub, project_dir);
            merged = merged.is_null() ? std::move(one) : merge_nodes(merged, one);
        }
        for (const char* section : {"services", "networks", "volumes", "secrets", "configs"}) {
            const Node* from = merged.find(section);
            if (!from || !from->is_map()) continue;
            Node* to = doc.find(section);
            if (!to || !to->is_map()) to = &doc.set(section, Node::make_map(from->mark));
            for (const auto& [k, v] : from->fields) {
                if (to->has(k))
                    fail(*to->find(k), std::string(section) + "." + k,
                         "conflicts with the imported resource of the same name from " + paths.front());
                to->fields.emplace_back(k, v);
            }
        }
    }
}

}  // namespace

void add_env_files(std::map<std::string, std::string>& env, const std::vector<std::string>& files) {
    const auto process = env;
    Lookup lookup = [&process](const std::string& k) -> std::optional<std::string> {
        auto it = process.find(k);
        if (it == process.end()) return std::nullopt;
        return it->second;
    };
    for (const auto& f : files)
        for (auto& [k, v] : read_dotenv(f, lookup))
            if (!process.count(k)) env[k] = v;
}

Node read_document(const std::string& file, const DocumentContext& ctx, const fs::path& base_dir) {
    std::string text;
    if (file == "-") {
        text = ctx.stdin_given ? ctx.stdin_content
                               : std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        auto t = try_read_file(file);
        if (!t) throw UserError("open " + file + ": cannot read the file");
        text = std::move(*t);
    }
    Node doc = read_yaml(text, file);
    if (doc.is_null()) throw ConfigError({file, 0, 0}, "", "empty compose file");
    if (!doc.is_map()) fail(doc, "", "top-level object must be a mapping");
    convert_fig(doc);
    if (ctx.interpolate) interpolate_tree(doc, ctx.env);
    validate_schema(doc);
    if (ctx.resolve_paths) resolve_document_paths(doc, base_dir, ctx.home);
    include_projects(doc, ctx, base_dir, file);
    return doc;
}

}  // namespace berth::compose::load
