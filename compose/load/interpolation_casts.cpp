#include "compose/load/interpolation_casts.hpp"

#include <array>
#include <string_view>

namespace berth::compose::load {
namespace {

struct Rule {
    std::array<std::string_view, 4> tail;  // after "services.<name>" (or after the top level, see top)
    Cast cast;
    bool top = false;  // a top-level section's path ("networks.<name>.external")
};

// "*" is any key, "[]" a list item. compose-go's table, plus the boolean/number keys the
// specification added since (enable_ipv6, depends_on's required/restart, env_file's required, ...).
constexpr Rule kRules[] = {
    {{"configs", "[]", "mode"}, Cast::Number},
    {{"secrets", "[]", "mode"}, Cast::Number},
    {{"cpu_count"}, Cast::Number},
    {{"cpu_percent"}, Cast::Number},
    {{"cpu_period"}, Cast::Number},
    {{"cpu_quota"}, Cast::Number},
    {{"cpu_rt_period"}, Cast::Number},
    {{"cpu_rt_runtime"}, Cast::Number},
    {{"cpus"}, Cast::Number},
    {{"cpu_shares"}, Cast::Number},
    {{"init"}, Cast::Boolean},
    {{"deploy", "replicas"}, Cast::Number},
    {{"deploy", "update_config", "parallelism"}, Cast::Number},
    {{"deploy", "update_config", "max_failure_ratio"}, Cast::Number},
    {{"deploy", "rollback_config", "parallelism"}, Cast::Number},
    {{"deploy", "rollback_config", "max_failure_ratio"}, Cast::Number},
    {{"deploy", "restart_policy", "max_attempts"}, Cast::Number},
    {{"deploy", "placement", "max_replicas_per_node"}, Cast::Number},
    {{"healthcheck", "retries"}, Cast::Number},
    {{"healthcheck", "disable"}, Cast::Boolean},
    {{"mem_limit"}, Cast::Number},
    {{"mem_reservation"}, Cast::Number},
    {{"memswap_limit"}, Cast::Number},
    {{"mem_swappiness"}, Cast::Number},
    {{"oom_kill_disable"}, Cast::Boolean},
    {{"oom_score_adj"}, Cast::Number},
    {{"pids_limit"}, Cast::Number},
    {{"ports", "[]", "target"}, Cast::Number},
    {{"ports", "[]", "published"}, Cast::Number},
    {{"privileged"}, Cast::Boolean},
    {{"read_only"}, Cast::Boolean},
    {{"scale"}, Cast::Number},
    {{"shm_size"}, Cast::Number},
    {{"stdin_open"}, Cast::Boolean},
    {{"stop_grace_period"}, Cast::Number},
    {{"tty"}, Cast::Boolean},
    {{"ulimits", "*"}, Cast::Number},
    {{"ulimits", "*", "hard"}, Cast::Number},
    {{"ulimits", "*", "soft"}, Cast::Number},
    {{"volumes", "[]", "read_only"}, Cast::Boolean},
    {{"volumes", "[]", "volume", "nocopy"}, Cast::Boolean},
    {{"volumes", "[]", "tmpfs", "size"}, Cast::Number},
    {{"volumes", "[]", "bind", "create_host_path"}, Cast::Boolean},
    {{"depends_on", "*", "required"}, Cast::Boolean},
    {{"depends_on", "*", "restart"}, Cast::Boolean},
    {{"env_file", "[]", "required"}, Cast::Boolean},
    {{"build", "privileged"}, Cast::Boolean},
    {{"attach"}, Cast::Boolean},
    {{"networks", "*", "priority"}, Cast::Number},
    {{"networks", "*", "gw_priority"}, Cast::Number},
    {{"networks", "*", "external"}, Cast::Boolean, true},
    {{"networks", "*", "internal"}, Cast::Boolean, true},
    {{"networks", "*", "attachable"}, Cast::Boolean, true},
    {{"networks", "*", "enable_ipv6"}, Cast::Boolean, true},
    {{"networks", "*", "enable_ipv4"}, Cast::Boolean, true},
    {{"volumes", "*", "external"}, Cast::Boolean, true},
    {{"secrets", "*", "external"}, Cast::Boolean, true},
    {{"configs", "*", "external"}, Cast::Boolean, true},
};

bool matches(const Rule& r, const std::vector<const std::string*>& path) {
    size_t from = r.top ? 0 : 2;
    if (!r.top && (path.size() < 2 || *path[0] != "services")) return false;
    size_t n = 0;
    while (n < r.tail.size() && !r.tail[n].empty()) ++n;
    if (path.size() != from + n) return false;
    for (size_t i = 0; i < n; ++i) {
        const std::string& step = *path[from + i];
        if (r.tail[i] == "*" ? step == "[]" : step != r.tail[i]) return false;
    }
    return true;
}

}  // namespace

Cast interpolation_cast(const std::vector<const std::string*>& path) {
    for (const Rule& r : kRules)
        if (matches(r, path)) return r.cast;
    return Cast::None;
}

}  // namespace berth::compose::load
