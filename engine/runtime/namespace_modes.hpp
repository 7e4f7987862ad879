#pragma once
// ContainerSpec::pid_mode / ipc_mode / uts_mode: docker's --pid/--ipc/--uts values, and what the
// monitor and the init are told to do with them at start.
#include <string>


namespace berth::engine {

class Runtime;

// "", "private", "shareable", "none" (IPC), "host", "container:X" (X not empty).
bool namespace_mode_valid(const std::string& mode);
// A new namespace of the container's own.
bool namespace_mode_private(const std::string& mode);
// "container:X" -> "X"; "" otherwise.
std::string namespace_mode_container(const std::string& mode);

// What the monitor does when it clones the init: "" a new namespace (CLONE_NEW*), "host" keep
// its own, else the path of the namespace to join ("/proc/<pid>/ns/<ns>" of the named
// container's init). Throws UserError naming `key` when that container is unknown or not running.
std::string namespace_join(const Runtime& rt, const std::string& key, const std::string& mode, const char* ns);

}  // namespace berth::engine
