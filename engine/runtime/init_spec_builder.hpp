#pragma once
// ContainerInfo (the recorded spec) -> what the init and the exec helper are told.
#include <filesystem>

#include "base/paths.hpp"
#include "engine/runtime/init_spec.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::engine {

class Cgroup;

// Resolves everything the init must not decide: paths, final capabilities, the netns to join,
// cgroup files. Creates missing bind-mount sources when the spec allows it.
InitSpec build_init_spec(const StatePaths& paths, const ContainerInfo& info, const Cgroup& cgroup);
ProcessSecurity build_security(const ContainerSpec& spec, const std::string& user_override = {});
// The container's limits: the baseline (rlimits.hpp) then the spec's ulimits. The init and every
// exec'd process start from these, not from whatever the caller of berth had.
std::vector<InitRlimit> build_rlimits(const ContainerSpec& spec);
// The healthcheck's exec request; nullopt when the container has none (or "NONE").
std::optional<ExecRequest> build_health_request(const ContainerInfo& info, const Cgroup& cgroup);

}  // namespace berth::engine
