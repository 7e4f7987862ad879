#pragma once
// Authentication pieces of the distribution protocol: WWW-Authenticate challenges, base64, and
// the Docker config file where `berth login` keeps credentials (same format as `docker login`).
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/registry/registry.hpp"

namespace berth::engine::registry {

// One challenge of a WWW-Authenticate header: scheme lower-case ("bearer", "basic"), parameters
// with lower-case names ("realm", "service", "scope", "error").
struct Challenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};
// RFC 7235 syntax: several challenges, quoted strings with escapes, commas inside quotes.
std::vector<Challenge> parse_www_authenticate(std::string_view header);

std::string base64_encode(std::string_view data);
// Throws UserError on malformed input.
std::string base64_decode(std::string_view data);

// The Docker config file the options name: docker_config, else $DOCKER_CONFIG/config.json,
// else $HOME/.docker/config.json.
std::filesystem::path docker_config_path(const RegistryOptions& opts);

// Writes username/password for `registry` into the config at `path` (kept keys untouched,
// written atomically with mode 0600).
void store_credentials(const std::filesystem::path& path, std::string_view registry, const Credentials& creds);

}  // namespace berth::engine::registry
