// The hand-over between the two halves of the loader:
//   compose/load/      (files -> RawProject): discovery, .env / --env-file, interpolation, YAML with
//                      anchors and `<<`, Fig top-level services, per-file schema validation, merge of
//                      several files (!reset / !override), extends, include, env_file, project name,
//                      profiles.
//   compose/normalize/ (RawProject -> Project): every short/long syntax into compose/model.hpp,
//                      to_json / to_yaml / config_hash.
// load_project() (compose/load_project.cpp) chains them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compose/tree.hpp"

namespace berth::compose {

struct RawProject {
    std::string name;         // normalized project name (-p, name:, COMPOSE_PROJECT_NAME, directory)
    std::string working_dir;  // absolute project directory
    std::vector<std::string> files;  // absolute paths of the loaded top-level files ("-" = stdin)
    std::map<std::string, std::string> environment;  // used for interpolation (process env over .env)
    std::vector<std::string> profiles;               // active profiles

    // The merged document: a map with `services`, `networks`, `volumes`, `secrets`, `configs` (each a
    // map, possibly empty). Interpolated (unless disabled), merge keys applied, extends and include
    // resolved, `!reset` entries removed, env_file read into `environment` (as a map; explicit
    // environment entries win). Every node carries its file:line:col (Node::mark).
    // Relative paths are NOT yet resolved: normalize resolves them against working_dir, or against
    // base_dirs[service] for services that came from a file in another folder (extends/include).
    Node document;

    // Services NOT active under the profiles (moved out of document["services"]), same form.
    Node disabled_services;

    std::map<std::string, std::string> base_dirs;
};

}  // namespace berth::compose
