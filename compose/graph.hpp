// Service dependency graph built from depends_on, links, volumes_from (service refs),
// network_mode/ipc/pid: service:x. Edges point from a service to what it needs.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "compose/model.hpp"

namespace berth::compose {

class DependencyGraph {
public:
    // Throws ConfigError naming the cycle ("dependency cycle: web -> api -> web"),
    // "A service can not link to itself: web", or an unknown dependency.
    explicit DependencyGraph(const Project& p);

    // Direct dependencies of a service (services it needs started first).
    const std::set<std::string>& dependencies(const std::string& service) const;
    const std::set<std::string>& dependents(const std::string& service) const;

    // Topological levels: level 0 has no dependencies; services within a level start in parallel.
    std::vector<std::vector<std::string>> start_levels() const;
    // Reverse order for stop/down.
    std::vector<std::vector<std::string>> stop_levels() const;

    // Selection: names (all if empty) plus, when with_deps, their transitive dependencies.
    // Throws UserError for an unknown name.
    std::set<std::string> select(const std::vector<std::string>& names, bool with_deps = true) const;

private:
    std::map<std::string, std::set<std::string>> deps_, rdeps_;
};

}  // namespace berth::compose
