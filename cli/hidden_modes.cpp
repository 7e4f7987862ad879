#include "cli/hidden_modes.hpp"

#include <string_view>

namespace berth::cli {

std::optional<int> run_hidden_mode(int argc, char** argv) {
  std::string_view mode = argv[1];
  (void)argc;
  (void)mode;
  return std::nullopt;
}

}  // namespace berth::cli
