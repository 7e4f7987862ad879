#pragma once
// Which build process made a container or a directory, so that what a killed build (SIGKILL,
// a crash) left behind can be told from what a build running right now uses: its pid and the
// process's start time (pids are reused), "<pid>.<start>".
#include <string>

#include "base/paths.hpp"

namespace berth::builder {

// This process's tag.
const std::string& owner_tag();
// False when no process with that pid and start time exists any more.
bool owner_alive(const std::string& tag);

// Removes the build containers and the staging directories (unmounting a mounted rootfs first)
// whose owner is gone. Called at the start of every build.
void sweep_orphans(const StatePaths& paths, const std::filesystem::path& scratch);

}  // namespace berth::builder
