#include "cli/hidden_modes.hpp"

#include <string_view>

#include "base/paths.hpp"
#include "cli/test_reaper.hpp"
#include "engine/runtime/runtime.hpp"
#include "network/network_manager.hpp"

namespace berth::cli {

std::optional<int> run_hidden_mode(int argc, char** argv) {
  std::string_view mode = argv[1];
  if (mode == "__init") return berth::engine::init_main(argc, argv);  // container init, exec helper
  // "__remove-on-exit ROOT ID": `run -d --rm`'s container goes when it exits (Docker's
  // AutoRemove), waited for by this detached process (cli/compose_run.cpp).
  if (mode == "__remove-on-exit" && argc == 4) {
    try {
      engine::Runtime rt(StatePaths::resolve(argv[2]));
      std::string id = rt.inspect(argv[3]).id;
      rt.wait(id);
      network::NetworkManager(rt.paths()).release(id);
      rt.remove(id, true);
      return 0;
    } catch (const std::exception&) {
      return 1;  // removed by someone else meanwhile
    }
  }
  // "__test-reaper ROOT PROJECT SCRATCH": takes a `berth test` project down when its owner dies
  // without doing so (cli/test_reaper.hpp).
  if (mode == "__test-reaper") return test_reaper_main(argc, argv);
  (void)argc;
  (void)mode;
  return std::nullopt;
}

}  // namespace berth::cli
