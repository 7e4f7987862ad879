#pragma once
// Where berth keeps state on the host (DESIGN.md "State on the host").
#include <filesystem>

namespace berth {

struct StatePaths {
  std::filesystem::path root;     // /var/lib/berth: images/, containers/, volumes/
  std::filesystem::path runtime;  // /run/berth: locks, monitor sockets, DNS tables

  // --root overrides BERTH_ROOT overrides /var/lib/berth; BERTH_RUNTIME_DIR likewise for /run/berth.
  // When only the root is overridden, the runtime dir is "<root>/run" so that a test's temp root
  // keeps everything of that test in one place.
  static StatePaths resolve(const std::filesystem::path& root_flag = {});
};

}  // namespace berth
