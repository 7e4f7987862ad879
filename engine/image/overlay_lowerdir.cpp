// overlayfs takes its options in one page: with dozens of layers the plain paths
// (<root>/images/layers/<64 hex>/diff) do not fit, so the store keeps short links images/l/<16 hex>
// (as podman's l/ directory) and this switches to them when needed.
#include <unistd.h>

#include "base/error.hpp"
#include "engine/image/image_store.hpp"

namespace berth::engine {

namespace fs = std::filesystem;

std::string overlay_lowerdir(const std::vector<fs::path>& layer_dirs, std::size_t reserve) {
  const std::size_t limit = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)) - 1;
  auto join = [&](bool shortened) {
    std::string s;
    for (auto it = layer_dirs.rbegin(); it != layer_dirs.rend(); ++it) {
      fs::path p = *it;
      if (shortened && p.filename() == "diff") {
        // <images>/layers/<hex>/diff -> <images>/l/<hex[0:16]>
        fs::path layer = p.parent_path();
        p = layer.parent_path().parent_path() / "l" / layer.filename().string().substr(0, 16);
      }
      std::string str = p.string();
      if (str.find_first_of(":,") != std::string::npos)
        throw UserError("layer path " + str + " contains ':' or ',' which overlay options cannot carry");
      if (!s.empty()) s += ':';
      s += str;
    }
    return s;
  };
  std::string plain = join(false);
  if (plain.size() + reserve <= limit) return plain;
  std::string shortened = join(true);
  if (shortened.size() + reserve <= limit) return shortened;
  throw UserError("image has too many layers (" + std::to_string(layer_dirs.size()) +
                  ") for one overlay mount option page; use a shorter state root");
}

}  // namespace berth::engine
