// Loading a project: discovery, interpolation, merge, extends, include, profiles,
// validation (schema/), normalization -> Project. Errors are base ConfigError with file:line:col.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compose/model.hpp"

namespace berth::compose {

struct LoadOptions {
    std::vector<std::string> files;          // -f (in order); "-" = stdin; empty => COMPOSE_FILE or discovery
    std::string project_name;                // -p (empty => name:, COMPOSE_PROJECT_NAME, dir name)
    std::string project_directory;           // --project-directory (empty => dir of first file)
    std::vector<std::string> env_files;      // --env-file (empty => <project dir>/.env if present)
    std::vector<std::string> profiles;       // --profile (empty => COMPOSE_PROFILES)
    std::vector<std::string> explicit_services;  // services named on the command line: enabled even if profiled
    bool interpolate = true;                 // false for `config --no-interpolate`
    bool resolve_paths = true;
    std::string working_dir;                 // cwd for discovery (empty => current directory)
    std::optional<std::map<std::string, std::string>> env;  // process env (tests inject; nullopt => environ)
    std::string stdin_content;               // used for "-" when set (tests); else read std::cin
};

// Loads, validates and normalizes. Throws ConfigError / UserError.
Project load_project(const LoadOptions& opts);

// Project name normalization as compose: lower-case, keep [a-z0-9_-], must start with [a-z0-9].
// Throws UserError when nothing valid remains.
std::string normalize_project_name(const std::string& raw);

// Canonical rendering (sorted keys, normalized forms), used by `berth config` and config hashes.
std::string to_json(const Project& p, int indent = 2);
std::string to_yaml(const Project& p);

// Stable sha256 (hex) over the canonical JSON of everything that affects the container
// (not scale/deploy.replicas, not profiles, not depends_on). Same input => same hash.
std::string config_hash(const Service& s);

}  // namespace berth::compose
