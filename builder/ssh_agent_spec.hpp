#pragma once
// `--ssh ID[=SOCKET]` (docker build's flag) and compose's `build.ssh` entries: which ssh agent a
// RUN --mount=type=ssh,id=ID reaches. berth binds the agent's socket in; it does not start an
// agent for key files.
#include <filesystem>
#include <string>
#include <utility>

namespace berth::builder {

// "default" or "ID" takes $SSH_AUTH_SOCK; "ID=SOCKET" that socket. Throws UserError naming
// `spec` when no socket is found there (a key file is refused with how to load it in an agent).
std::pair<std::string, std::filesystem::path> ssh_agent_spec(const std::string& spec);

}  // namespace berth::builder
