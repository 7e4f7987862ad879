// The compose global options (-f, -p, --project-directory, --env-file, --profile) as loader options.
#pragma once

#include "cli/command.hpp"
#include "compose/load.hpp"

namespace berth::cli {

compose::LoadOptions load_options(const GlobalOptions& g, const std::vector<std::string>& explicit_services = {});

}  // namespace berth::cli
