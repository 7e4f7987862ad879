#pragma once
// --dry-run: what a command would do, printed as compose prints it (" - DRY-RUN MODE -  Container
// p-web-1  Started" in the progress output), with nothing built, pulled, made, started or removed.
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "compose/model.hpp"
#include "compose/orchestrate/project_runtime.hpp"

namespace berth::cli::dry_run {

// up and create (o.no_start): images to get, networks and volumes to make, the containers' plan.
void up(const Context& ctx, const compose::Project& p, const compose::orchestrate::UpOptions& o);
// down: containers, networks, volumes (-v) and images (--rmi) that would go.
void down(const Context& ctx, const compose::Project& p, const compose::orchestrate::DownOptions& o);
// start, stop, restart, kill, rm: the containers of `services` the command would act on, and
// the status each would reach ("Started", "Stopped", "Restarted", "Killed", "Removed").
void containers(const Context& ctx, const compose::Project& p, const std::vector<std::string>& services,
                const std::string& command, bool stop_first = false);
// pull: the images.
void pull(const Context& ctx, const std::vector<std::string>& refs);

}  // namespace berth::cli::dry_run
