#pragma once
// Logging: spdlog to stderr. Quiet by default (warnings and up); --debug shows everything.
#include <spdlog/spdlog.h>

namespace berth::log {

void init(bool debug);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace berth::log
