#pragma once
// Persistent network namespaces: made at container create, bind-mounted at
// <runtime>/netns/<id> (as `ip netns add` does) with loopback up, so the network layer can
// attach interfaces before start and restarts keep the same addresses.
#include <filesystem>

namespace berth::engine {

// Creates the namespace and its bind mount at `path`. Throws SysError; leaves nothing on failure.
void create_netns(const std::filesystem::path& path);
// Unmounts and removes `path` (the kernel frees the namespace and its veths when the last user
// goes). No error when it is already gone.
void remove_netns(const std::filesystem::path& path);

}  // namespace berth::engine
