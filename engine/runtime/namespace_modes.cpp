#include "engine/runtime/namespace_modes.hpp"

#include "base/error.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::engine {

bool namespace_mode_valid(const std::string& mode) {
  if (mode.empty() || mode == "private" || mode == "shareable" || mode == "none" || mode == "host") return true;
  return mode.rfind("container:", 0) == 0 && mode.size() > 10;
}

bool namespace_mode_private(const std::string& mode) {
  return mode.empty() || mode == "private" || mode == "shareable" || mode == "none";
}

std::string namespace_mode_container(const std::string& mode) {
  return mode.rfind("container:", 0) == 0 ? mode.substr(10) : std::string();
}

std::string namespace_join(const Runtime& rt, const std::string& key, const std::string& mode, const char* ns) {
  if (namespace_mode_private(mode)) return "";
  if (mode == "host") return "host";
  std::string name = namespace_mode_container(mode);
  auto target = rt.find(name);  // an id (compose's) or a name
  if (!target) throw UserError(key + " " + mode + ": no such container");
  if (!target->running() || target->pid <= 0) throw UserError(key + " " + mode + ": that container is not running");
  return "/proc/" + std::to_string(target->pid) + "/ns/" + ns;
}

}  // namespace berth::engine
