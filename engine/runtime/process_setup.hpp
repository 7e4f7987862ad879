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
                                const std::string& user);

// Credentials, capabilities, no_new_privs, seccomp, then execve (through the reaper when
// reaper_fd >= 0). Returns only by throwing (UserError 126/127 when execve fails).
[[noreturn]] void exec_process(const PreparedProcess& p, const ProcessSecurity& security, int reaper_fd = -1);

}  // namespace berth::engine
