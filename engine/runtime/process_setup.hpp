#pragma once
// The last steps shared by the container init and the exec helper, run with "/" already being
// the container's root: resolve the user and the command inside the container, then switch
// credentials, drop capabilities, set no_new_privs, load seccomp and execve.
#include <string>
#include <vector>

#include "engine/runtime/init_spec.hpp"
#include "engine/runtime/user_lookup.hpp"

namespace berth::engine {

struct PreparedProcess {
  std::string path;  // the resolved executable
  std::vector<std::string> argv;
  std::vector<std::string> env;  // HOME added from passwd when absent
  ExecUser user;
};

inline constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Throws UserError with Docker's wording and exit code (127 not found, 126 not executable).
std::string lookup_command(const std::string& name, const std::string& path_env);
PreparedProcess prepare_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                const std::string& user, const std::vector<std::string>& group_add = {});

// Credentials, capabilities, no_new_privs, seccomp, then execve. Returns only by throwing
// (UserError 126/127 when execve fails).
[[noreturn]] void exec_process(const PreparedProcess& p, const ProcessSecurity& security);
// The same confinement, then the command is spawned and this process stays as its reaper (PID 1
// of `init: true` containers, Docker's docker-init role: signals forwarded, orphans reaped, the
// command's exit status as its own). `started_fd` (close-on-exec, as the command's copy) is
// closed once the command runs. Throws like exec_process when the command cannot be started.
[[noreturn]] void spawn_and_reap(const PreparedProcess& p, const ProcessSecurity& security, int started_fd);

}  // namespace berth::engine
