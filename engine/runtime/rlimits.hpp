#pragma once
// Docker's ulimit names -> RLIMIT_*; setting them in the init (inherited across execve).
#include <vector>

#include "engine/runtime/init_spec.hpp"

namespace berth::engine {

// -1 when the name is unknown.
int rlimit_resource(const std::string& name);
// The limits a container starts from, whatever the shell that ran berth had set (`ulimit -c`,
// `ulimit -s`, a CI agent's nofile): those of the host's PID 1, i.e. what a system service such
// as dockerd gets, clamped to this process's hard limits (raising needs CAP_SYS_RESOURCE); nofile
// is 1024:524288 as Docker and containerd give (clamped the same way). Names in `set` (the
// spec's ulimits, applied after) are left out. The baseline comes first in the init's list.
std::vector<InitRlimit> baseline_rlimits(const std::vector<InitRlimit>& set);
// Throws UserError for unknown names, soft > hard, or raising a hard limit without the privilege
// to do so (root here lacks CAP_SYS_RESOURCE: the error says which limit).
void apply_rlimits(const std::vector<InitRlimit>& limits);

}  // namespace berth::engine
