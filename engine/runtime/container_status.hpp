#pragma once
// A container's state as docker's Status column says it: "Up 2 minutes (healthy)",
// "Up 5 seconds (Paused)", "Exited (0) 3 seconds ago", "Restarting (1) 2 seconds ago",
// "Created", "Dead". An exited container has no health.
#include <chrono>
#include <string>

#include "engine/runtime/runtime.hpp"

namespace berth::engine {

std::string status_text(const ContainerInfo& c, std::chrono::system_clock::time_point now);

}  // namespace berth::engine
