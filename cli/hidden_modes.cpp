#include "cli/hidden_modes.hpp"

#include <string_view>

#include "engine/runtime/runtime.hpp"

namespace berth::cli {

std::optional<int> run_hidden_mode(int argc, char** argv) {
  std::string_view mode = argv[1];
  if (mode == "__init") return berth::engine::init_main(argc, argv);  // container init, exec helper
  (void)argc;
  (void)mode;
  return std::nullopt;
}

}  // namespace berth::cli
