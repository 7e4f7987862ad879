#include "builder/ssh_agent_spec.hpp"

#include <sys/stat.h>

#include <cstdlib>

#include "base/error.hpp"

namespace berth::builder {

std::pair<std::string, std::filesystem::path> ssh_agent_spec(const std::string& spec) {
  auto eq = spec.find('=');
  std::string id = spec.substr(0, eq);
  if (id.empty()) throw UserError("invalid ssh spec \"" + spec + "\": expected ID[=SOCKET]");
  std::string path;
  if (eq != std::string::npos) {
    path = spec.substr(eq + 1);
    if (path.find(',') != std::string::npos)
      throw UserError("ssh " + id + ": berth forwards one agent socket, not a list of keys (\"" + path + "\")");
  } else if (const char* sock = std::getenv("SSH_AUTH_SOCK"); sock && *sock) {
    path = sock;
  } else {
    throw UserError("ssh " + id + ": SSH_AUTH_SOCK is not set; start an ssh agent or give ID=SOCKET");
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw UserError("ssh " + id + ": " + path + " does not exist");
  if (!S_ISSOCK(st.st_mode))
    throw UserError("ssh " + id + ": " + path + " is not an agent socket (load a key with `ssh-add " + path +
                    "` into an agent and give its socket)");
  return {id, std::filesystem::absolute(path)};
}

}  // namespace berth::builder
