#include "cli/project_options.hpp"

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

}  // namespace berth::cli
