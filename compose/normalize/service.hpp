// One service definition (after merge/extends/env_file) -> compose::Service.
#pragma once

#include "compose/model.hpp"
#include "compose/tree.hpp"

namespace berth::compose::norm {

// `env`: the project environment (for `environment: [KEY]` entries without a value).
Service service(const std::string& name, const Node& n, const StringMap& env);

}  // namespace berth::compose::norm
