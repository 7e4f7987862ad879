#pragma once
// `berth info` (and `berth version --verbose`): what berth found on the host and will use.
#include <nlohmann/json.hpp>

namespace berth::cli {

nlohmann::json host_info();  // engine/runtime/host_info.hpp's probe plus nftables
void print_host_info(const nlohmann::json& info);  // the human-readable form

}  // namespace berth::cli
