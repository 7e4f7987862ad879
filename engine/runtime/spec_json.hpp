#pragma once
// ContainerSpec <-> JSON (the "spec" object of container.json) and the Docker-word parsers the
// spec uses (signals, restart policies).
#include <nlohmann/json.hpp>

#include "engine/runtime/runtime.hpp"

namespace berth::engine {

nlohmann::json spec_to_json(const ContainerSpec& spec);
ContainerSpec spec_from_json(const nlohmann::json& j);

// "SIGTERM", "TERM", "15" -> 15; throws UserError("invalid signal: X").
int parse_signal(const std::string& name);

// Checks what can be checked before anything is made; throws UserError naming the field.
void validate_spec(const ContainerSpec& spec);

}  // namespace berth::engine
