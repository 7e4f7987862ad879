#include "base/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace berth::log {

void init(bool debug) {
  auto logger = spdlog::stderr_color_mt("berth");
  logger->set_pattern(debug ? "%H:%M:%S.%e [%^%l%$] %v" : "berth: %^%l%$: %v");
  logger->set_level(debug ? spdlog::level::debug : spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace berth::log
