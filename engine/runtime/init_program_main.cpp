// berth-init: the container init and exec helper ("berth-init __init ..."), a small program of
// its own so that starting a container does not load the whole CLI (its exec costs ~15 ms,
// this one's about a tenth of that). `berth __init` does the same when this program is missing.
#include <cstring>

#include "engine/runtime/runtime.hpp"

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "__init") == 0) return berth::engine::init_main(argc, argv);
  return 2;
}
