// berth config: the project as berth resolves it (docker compose config), or one of its lists
// (--services, --volumes, --networks, --images, --profiles, --environment, --variables), to
// stdout or to a file (-o).
#include <fmt/core.h>

#include <algorithm>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/go_template.hpp"
#include "cli/command.hpp"
#include "cli/compose_project.hpp"
#include "cli/project_options.hpp"
#include "compose/load.hpp"
#include "compose/load/variables.hpp"
#include "compose/orchestrate/service_image.hpp"
#include "engine/image/image_store.hpp"

namespace berth::cli {
namespace {

struct ConfigFlags {
    std::string format = "yaml", output, hash;
    bool services = false, volumes = false, networks = false, images = false, profiles = false, environment = false,
         variables = false, quiet = false, no_interpolate = false, resolve_digests = false, no_normalize = false,
         no_path_resolution = false;
    std::vector<std::string> names;
};

std::string lines_of(const std::set<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += i + "\n";
    return out;
}

// compose-go's table of the variables the files use, or its JSON (name -> fields).
std::string variables_text(const compose::Project& p, const std::string& format) {
    std::map<std::string, compose::load::Variable> all;
    for (const auto& f : p.files) {
        if (f == "-") continue;
        for (auto& [name, v] : compose::load::extract_variables(read_file(f))) all.emplace(name, v);
    }
    if (format == "json") {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& [name, v] : all)
            out[name] = {{"Name", name}, {"DefaultValue", v.default_value}, {"PresenceValue", v.alternate_value},
                         {"Required", v.required}};
        return out.dump(2) + "\n";
    }
    std::vector<std::string> lines = {"NAME\tREQUIRED\tDEFAULT VALUE\tALTERNATE VALUE"};
    for (const auto& [name, v] : all)
        lines.push_back(name + "\t" + (v.required ? "true" : "false") + "\t" + v.default_value + "\t" + v.alternate_value);
    return align_columns(lines);
}

// image: NAME -> NAME@sha256:... from the store (berth resolves what it has pulled; it does not
// ask the registry, so an image not pulled yet is an error naming it).
void resolve_digests(const Context& ctx, compose::Project& p) {
    engine::ImageStore store(ctx.global.state());
    for (auto& [name, s] : p.services) {
        if (s.image.empty() || s.image.find('@') != std::string::npos) continue;
        auto img = store.find(s.image);
        if (!img || img->manifest_digest.empty())
            throw UserError("--resolve-image-digests: service " + name + ": image " + s.image +
                            " is not in the store (berth pull it first)");
        s.image = engine::parse_reference(s.image).str() + "@" + img->manifest_digest;
    }
}

std::string config_text(const Context& ctx, const ConfigFlags& f) {
    auto opts = load_options(ctx.global, f.names);
    opts.interpolate = !f.no_interpolate;
    opts.resolve_paths = !f.no_path_resolution;
    if (f.profiles) opts.profiles = {"*"};
    compose::Project p = compose::load_project(opts);
    warn_ignored(p);
    if (f.quiet) return "";
    std::set<std::string> items;
    if (f.services) {
        for (const auto& [name, _] : p.services) items.insert(name);
        return lines_of(items);
    }
    if (f.volumes) {
        for (const auto& [name, _] : p.volumes) items.insert(name);
        return lines_of(items);
    }
    if (f.networks) {
        for (const auto& [name, _] : p.networks) items.insert(name);
        return lines_of(items);
    }
    if (f.images) {
        for (const auto& [_, s] : p.services) items.insert(compose::orchestrate::service_image(p, s));
        return lines_of(items);
    }
    if (f.profiles) {
        for (const auto* m : {&p.services, &p.disabled_services})
            for (const auto& [_, s] : *m) items.insert(s.profiles.begin(), s.profiles.end());
        return lines_of(items);
    }
    if (f.environment) {
        std::string out;
        for (const auto& [k, v] : p.environment) out += k + "=" + v + "\n";
        return out;
    }
    if (f.variables) return variables_text(p, f.format);
    if (!f.hash.empty()) {
        std::string out;
        if (f.hash == "*") {
            for (const auto& [name, s] : p.services) out += name + " " + compose::config_hash(s) + "\n";
        } else {
            const compose::Service* s = p.find_service(f.hash);
            if (!s) throw UserError("no such service: " + f.hash);
            out = f.hash + " " + compose::config_hash(*s) + "\n";
        }
        return out;
    }
    if (!f.names.empty())
        for (auto it = p.services.begin(); it != p.services.end();)
            it = std::find(f.names.begin(), f.names.end(), it->first) == f.names.end() ? p.services.erase(it) : std::next(it);
    if (f.resolve_digests) resolve_digests(ctx, p);
    // --no-normalize: berth keeps only the normalized model, which is what it prints either way
    // (compose's un-normalized output differs only in the defaults it has not filled in yet).
    return f.format == "json" ? compose::to_json(p) : compose::to_yaml(p);
}

int run_config(const Context& ctx, const ConfigFlags& f) {
    std::string text = config_text(ctx, f);
    if (f.output.empty() || f.output == "-") {
        fmt::print("{}", text);
        return 0;
    }
    std::ofstream out(f.output, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw UserError("-o " + f.output + ": cannot write the file");
    return 0;
}

const CommandRegistration reg(100, {"config"}, [](CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("config", "Parse, resolve and render the project file in canonical form");
    auto f = std::make_shared<ConfigFlags>();
    cmd->add_option("--format", f->format, "yaml or json")->check(CLI::IsMember({"yaml", "json"}));
    cmd->add_flag("--services", f->services, "Print the service names, one per line");
    cmd->add_flag("--volumes", f->volumes, "Print the volume names, one per line");
    cmd->add_flag("--networks", f->networks, "Print the network names, one per line");
    cmd->add_flag("--images", f->images, "Print the image names, one per line");
    cmd->add_flag("--profiles", f->profiles, "Print the profile names, one per line");
    cmd->add_flag("--environment", f->environment, "Print the environment used for interpolation");
    cmd->add_flag("--variables", f->variables, "Print the variables the files use, with defaults");
    cmd->add_option("--hash", f->hash, "Print the config hash of SERVICE ('*' for all)");
    cmd->add_option("-o,--output", f->output, "Write to this file instead of stdout");
    cmd->add_flag("-q,--quiet", f->quiet, "Only validate the configuration");
    cmd->add_flag("--no-interpolate", f->no_interpolate, "Do not interpolate environment variables");
    cmd->add_flag("--resolve-image-digests", f->resolve_digests, "Pin image tags to the digests of the pulled images");
    cmd->add_flag("--no-normalize", f->no_normalize, "Accepted as compose's; berth prints its normalized model");
    cmd->add_flag("--no-path-resolution", f->no_path_resolution, "Keep file paths relative");
    cmd->add_option("services", f->names, "Services to show");
    cmd->callback([&ctx, f] { ctx.action = [&ctx, f] { return run_config(ctx, *f); }; });
});

}  // namespace
}  // namespace berth::cli
