#include "base/paths.hpp"

#include <cstdlib>

namespace berth {

StatePaths StatePaths::resolve(const std::filesystem::path& root_flag) {
  StatePaths p;
  const char* env_root = std::getenv("BERTH_ROOT");
  const char* env_run = std::getenv("BERTH_RUNTIME_DIR");
  bool custom_root = !root_flag.empty() || (env_root && *env_root);
  p.root = !root_flag.empty() ? root_flag
           : (env_root && *env_root) ? std::filesystem::path(env_root)
                                     : std::filesystem::path("/var/lib/berth");
  if (env_run && *env_run)
    p.runtime = env_run;
  else
    p.runtime = custom_root ? p.root / "run" : std::filesystem::path("/run/berth");
  p.root = std::filesystem::absolute(p.root);
  p.runtime = std::filesystem::absolute(p.runtime);
  return p;
}

}  // namespace berth
