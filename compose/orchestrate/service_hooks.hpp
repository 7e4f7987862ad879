#pragma once
// compose's lifecycle hooks: `post_start` commands run in the container right after it started,
// `pre_stop` ones before it is stopped (compose: "command, user, privileged, working_dir,
// environment"). The loader keeps them as written in Service::extensions.
#include <string>
#include <vector>

#include "compose/model.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::compose::orchestrate {

// The hooks under `key` ("post_start" | "pre_stop") as exec requests.
std::vector<engine::ExecOptions> service_hooks(const Service& s, const std::string& key);

// Runs them in order. A failing post_start hook is an error naming the service and its exit
// code (the container stays, as compose leaves it); a failing pre_stop hook is a warning, and the
// container is stopped all the same.
void run_hooks(engine::Runtime& rt, const std::string& id, const Service& s, const std::string& key);

}  // namespace berth::compose::orchestrate
