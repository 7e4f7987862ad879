#pragma once
// The live resource table of `container stats` and compose `stats`, as docker prints it.
#include <functional>
#include <string>
#include <vector>

#include "engine/runtime/runtime.hpp"

namespace berth::cli {

struct StatsOptions {
  bool no_stream = false;  // one table (after two samples, so CPU % has a span) and exit
  bool no_trunc = false;
  std::string format = "table";  // table, json (one object a line), or a {{.Field}} template
};

// Checks a --format before anything runs: UserError naming an unknown {{.Field}}.
void check_stats_format(const std::string& format);

// Samples every second and prints; `list` gives the containers to show at each round (those not
// running show zeros). Returns only with --no-stream.
int show_stats(const engine::Runtime& rt, const std::function<std::vector<engine::ContainerInfo>()>& list,
               const StatsOptions& options);

}  // namespace berth::cli
