// berth config: the project as berth resolves it (docker compose config).
#include <fmt/core.h>

#include <algorithm>
#include <set>

#include "base/error.hpp"

#include "cli/command.hpp"
#include "cli/compose_project.hpp"
#include "cli/project_options.hpp"
#include "compose/load.hpp"

namespace berth::cli {
namespace {

struct ConfigFlags {
    std::string format = "yaml";
    bool services = false, volumes = false, profiles = false, quiet = false, no_interpolate = false;
    std::string hash;
    std::vector<std::string> names;
};

int run_config(const Context& ctx, const ConfigFlags& f) {
    auto opts = load_options(ctx.global, f.names);
    opts.interpolate = !f.no_interpolate;
    if (f.profiles) opts.profiles = {"*"};
    compose::Project p = compose::load_project(opts);
    warn_ignored(p);
    if (f.quiet) return 0;
    if (f.services) {
        for (const auto& [name, _] : p.services) fmt::print("{}\n", name);
        return 0;
    }
    if (f.volumes) {
        for (const auto& [name, _] : p.volumes) fmt::print("{}\n", name);
        return 0;
    }
    if (f.profiles) {
        std::set<std::string> all;
        for (const auto* m : {&p.services, &p.disabled_services})
            for (const auto& [_, s] : *m) all.insert(s.profiles.begin(), s.profiles.end());
        for (const auto& pr : all) fmt::print("{}\n", pr);
        return 0;
    }
    if (!f.hash.empty()) {
        if (f.hash == "*") {
            for (const auto& [name, s] : p.services) fmt::print("{} {}\n", name, compose::config_hash(s));
        } else {
            const compose::Service* s = p.find_service(f.hash);
            if (!s) throw UserError("no such service: " + f.hash);
            fmt::print("{} {}\n", f.hash, compose::config_hash(*s));
        }
        return 0;
    }
    if (!f.names.empty())
        for (auto it = p.services.begin(); it != p.services.end();)
            it = std::find(f.names.begin(), f.names.end(), it->first) == f.names.end() ? p.services.erase(it) : std::next(it);
    fmt::print("{}", f.format == "json" ? compose::to_json(p) : compose::to_yaml(p));
    return 0;
}

const CommandRegistration reg(100, {"config"}, [](CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("config", "Parse, resolve and render the project file in canonical form");
    auto f = std::make_shared<ConfigFlags>();
    cmd->add_option("--format", f->format, "yaml or json")->check(CLI::IsMember({"yaml", "json"}));
    cmd->add_flag("--services", f->services, "Print the service names, one per line");
    cmd->add_flag("--volumes", f->volumes, "Print the volume names, one per line");
    cmd->add_flag("--profiles", f->profiles, "Print the profile names, one per line");
    cmd->add_option("--hash", f->hash, "Print the config hash of SERVICE ('*' for all)");
    cmd->add_flag("-q,--quiet", f->quiet, "Only validate the configuration");
    cmd->add_flag("--no-interpolate", f->no_interpolate, "Do not interpolate environment variables");
    cmd->add_option("services", f->names, "Services to show");
    cmd->callback([&ctx, f] { ctx.action = [&ctx, f] { return run_config(ctx, *f); }; });
});

}  // namespace
}  // namespace berth::cli
