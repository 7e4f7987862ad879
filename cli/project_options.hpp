// The compose global options (-f, -p, --project-directory, --env-file, --profile) as loader options.
#pragma once

#include <optional>

#include "cli/command.hpp"
#include "compose/load.hpp"

namespace berth::cli {

compose::LoadOptions load_options(const GlobalOptions& g, const std::vector<std::string>& explicit_services = {});

// The COMPOSE_* variables docker compose reads for global options the command line did not give
// (COMPOSE_ANSI, COMPOSE_PROGRESS, COMPOSE_PARALLEL_LIMIT, COMPOSE_ENV_FILES, COMPOSE_MENU), and
// --ansi applied to the progress mode; refuses --dry-run for a command that has no dry run.
void apply_compose_environment(const CLI::App& app, GlobalOptions& g);

// A boolean COMPOSE_* variable as compose parses it (1/t/true/0/f/false, any case); nullopt when
// unset or empty; a UserError naming the variable for anything else.
std::optional<bool> compose_env_bool(const char* name);

}  // namespace berth::cli
