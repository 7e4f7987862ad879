#pragma once
// Modes of the berth binary that users never type: the container init after clone ("__init"),
// and other helpers that must start without the CLI's threads. Each folder that needs one adds
// it to hidden_modes.cpp.
#include <optional>

namespace berth::cli {

// Returns the exit code when argv[1] names a hidden mode, nullopt otherwise.
std::optional<int> run_hidden_mode(int argc, char** argv);

}  // namespace berth::cli
