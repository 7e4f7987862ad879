// The hand-over between the two halves of the loader:
//   compose/load/      (files -> RawProject): discovery, .env / --env-file, interpolation, YAML with
//                      anchors and `<<`, Fig top-level services, per-file schema validation, merge of
//                      several files (!reset / !override), extends, include, project name, profiles.
//   compose/normalize/ (RawProject -> Project): every short/long syntax into compose/model.hpp,
//                      to_json / to_yaml / config_hash.
// load_project() (compose/load_project.cpp) chains them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace berth::compose {

// Where a YAML node came from, for errors after the merge ("file:line:col: key: message").
struct Origin {
    std::string file;  // absolute path, or "-" for stdin
    int line = 0;      // 1-based; 0 = unknown
    int column = 0;    // 1-based
};

struct RawProject {
    std::string name;         // normalized project name (-p, name:, COMPOSE_PROJECT_NAME, directory)
    std::string working_dir;  // absolute project directory
    std::vector<std::string> files;  // absolute paths of the loaded top-level files ("-" = stdin)
    std::map<std::string, std::string> environment;  // used for interpolation (process env over .env)
    std::vector<std::string> profiles;               // active profiles

    // The merged document: a YAML map with `services`, `networks`, `volumes`, `secrets`, `configs`
    // (each a map, possibly empty). Interpolated (unless disabled), anchors/merge keys resolved,
    // extends and include applied, `!reset` entries removed, x-* keys still present.
    // Relative paths are NOT yet resolved (normalize does it against working_dir, or against
    // the directory in `base_dirs` for services that came from another file via extends/include).
    YAML::Node document;

    // Services NOT active under the profiles (moved out of document["services"]), same form.
    YAML::Node disabled_services;

    // Per service: the directory its relative paths (build context, bind sources, env_file) are
    // relative to, when it is not working_dir (extends from / include of a file in another folder).
    std::map<std::string, std::string> base_dirs;

    // Origin of a node of `document`, looked up by the node's YAML mark; best effort.
    // Key: "<service or top-level key path>" as built by origin_key(); filled by the loader for
    // every service and every top-level entry.
    std::map<std::string, Origin> origins;
};

// "services.web", "networks.front": the key used in RawProject::origins.
inline std::string origin_key(const std::string& section, const std::string& name) { return section + "." + name; }

}  // namespace berth::compose
