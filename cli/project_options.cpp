#include "cli/project_options.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "base/error.hpp"

namespace berth::cli {

compose::LoadOptions load_options(const GlobalOptions& g, const std::vector<std::string>& explicit_services) {
    compose::LoadOptions o;
    o.files = g.files;
    o.project_name = g.project_name;
    o.project_directory = g.project_directory;
    o.env_files = g.env_files;
    o.profiles = g.profiles;
    o.explicit_services = explicit_services;
    return o;
}

std::optional<bool> compose_env_bool(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v) return std::nullopt;
    std::string s = v;
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (s == "1" || s == "t" || s == "true") return true;
    if (s == "0" || s == "f" || s == "false") return false;
    throw UserError(std::string(name) + "=\"" + v + "\": expected a boolean (true, false, 1, 0)");
}

namespace {

std::string env_or(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// The commands that print their plan with --dry-run (cli/dry_run.hpp).
bool has_dry_run(const std::string& command) {
    static const char* const names[] = {"up", "down", "start", "stop", "restart", "rm", "kill", "pull", "create"};
    return std::find(std::begin(names), std::end(names), command) != std::end(names);
}

}  // namespace

void apply_compose_environment(const CLI::App& app, GlobalOptions& g) {
    if (!app.count("--ansi")) {
        if (auto v = env_or("COMPOSE_ANSI"); !v.empty()) {
            if (v != "never" && v != "always" && v != "auto")
                throw UserError("COMPOSE_ANSI=\"" + v + "\": expected never, always or auto");
            g.ansi = v;
        }
    }
    if (g.ansi == "never") g.no_ansi = true;
    if (!app.count("--progress")) {
        if (auto v = env_or("COMPOSE_PROGRESS"); !v.empty()) {
            if (v != "auto" && v != "tty" && v != "plain" && v != "quiet" && v != "json")
                throw UserError("COMPOSE_PROGRESS=\"" + v + "\": expected auto, tty, plain, quiet or json");
            g.progress = v;
        }
    }
    // --ansi always: the live display even when stderr is not a terminal, as compose draws it.
    if (g.ansi == "always" && g.progress == "auto") g.progress = "tty";
    if (!app.count("--parallel")) {
        if (auto v = env_or("COMPOSE_PARALLEL_LIMIT"); !v.empty()) {
            char* end = nullptr;
            long n = std::strtol(v.c_str(), &end, 10);
            if (*end || n == 0 || n < -1 || n > 1 << 20)
                throw UserError("COMPOSE_PARALLEL_LIMIT=\"" + v + "\": expected a positive number (or -1, unlimited)");
            g.parallel = static_cast<int>(n);
        }
    }
    if (!app.count("--env-file")) {  // comma-separated, as compose splits it
        std::string v = env_or("COMPOSE_ENV_FILES");
        for (std::size_t start = 0; !v.empty() && start <= v.size();) {
            std::size_t comma = std::min(v.find(',', start), v.size());
            if (comma > start) g.env_files.push_back(v.substr(start, comma - start));
            start = comma + 1;
        }
    }
    (void)compose_env_bool("COMPOSE_MENU");  // berth has no interactive menu: checked, nothing to turn off
    if (g.dry_run) {
        auto chosen = app.get_subcommands();
        std::string command = chosen.empty() ? "" : chosen.front()->get_name();
        if (!has_dry_run(command))
            throw UserError("--dry-run is not supported by berth for \"" + command +
                            "\" (it is for up, create, start, stop, restart, kill, rm, down and pull)");
    }
}

}  // namespace berth::cli
