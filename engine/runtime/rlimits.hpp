#pragma once
// Docker's ulimit names -> RLIMIT_*; setting them in the init (inherited across execve).
#include <vector>

#include "engine/runtime/init_spec.hpp"

namespace berth::engine {

// -1 when the name is unknown.
int rlimit_resource(const std::string& name);
// Throws UserError for unknown names, soft > hard, or raising a hard limit without the privilege
// to do so (root here lacks CAP_SYS_RESOURCE: the error says which limit).
void apply_rlimits(const std::vector<InitRlimit>& limits);

}  // namespace berth::engine
