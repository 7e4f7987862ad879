#include "compose/graph.hpp"

#include <algorithm>
#include <functional>

#include "base/error.hpp"

namespace berth::compose {
namespace {

// "service:x" references (network_mode, ipc, pid) and volumes_from "x[:ro]" (not "container:").
std::string service_ref(const std::string& v) {
    if (v.rfind("service:", 0) == 0) return v.substr(8);
    return {};
}

std::string volumes_from_ref(const std::string& v) {
    if (v.rfind("container:", 0) == 0) return {};
    auto colon = v.find(':');
    return colon == std::string::npos ? v : v.substr(0, colon);
}

}  // namespace

DependencyGraph::DependencyGraph(const Project& p) {
    for (const auto& [name, s] : p.services) {
        auto& d = deps_[name];
        rdeps_[name];
        auto add = [&](const std::string& dep, const char* via) {
            if (dep.empty()) return;
            if (dep == name) {
                if (std::string(via) == "links")
                    throw ConfigError({}, "services." + name + ".links", "A service can not link to itself: " + name);
                throw ConfigError({}, "services." + name + "." + via, "service " + name + " depends on itself");
            }
            if (!p.services.count(dep)) {
                if (std::string(via) == "depends_on") {
                    auto it = s.depends_on.find(dep);
                    if (it != s.depends_on.end() && !it->second.required) return;
                }
                throw ConfigError({}, "services." + name + "." + via,
                                  "service \"" + name + "\" depends on undefined service \"" + dep + "\"");
            }
            d.insert(dep);
        };
        for (const auto& [dep, _] : s.depends_on) add(dep, "depends_on");
        for (const auto& l : s.links) add(l.service, "links");
        for (const auto& v : s.volumes_from) add(volumes_from_ref(v), "volumes_from");
        add(service_ref(s.network_mode), "network_mode");
        add(service_ref(s.ipc), "ipc");
        add(service_ref(s.pid), "pid");
        add(service_ref(s.uts), "uts");
    }
    for (const auto& [name, d] : deps_)
        for (const auto& dep : d) rdeps_[dep].insert(name);

    // Cycle detection by DFS; report the cycle path.
    std::map<std::string, int> state;  // 0 new, 1 on stack, 2 done
    std::vector<std::string> stack;
    std::function<void(const std::string&)> visit = [&](const std::string& n) {
        state[n] = 1;
        stack.push_back(n);
        for (const auto& dep : deps_[n]) {
            if (state[dep] == 1) {
                std::string cycle;
                auto it = std::find(stack.begin(), stack.end(), dep);
                for (; it != stack.end(); ++it) cycle += *it + " -> ";
                throw ConfigError({}, "services." + n, "dependency cycle detected: " + cycle + dep);
            }
            if (state[dep] == 0) visit(dep);
        }
        stack.pop_back();
        state[n] = 2;
    };
    for (const auto& [name, _] : deps_)
        if (state[name] == 0) visit(name);
}

const std::set<std::string>& DependencyGraph::dependencies(const std::string& s) const {
    static const std::set<std::string> none;
    auto it = deps_.find(s);
    return it == deps_.end() ? none : it->second;
}

const std::set<std::string>& DependencyGraph::dependents(const std::string& s) const {
    static const std::set<std::string> none;
    auto it = rdeps_.find(s);
    return it == rdeps_.end() ? none : it->second;
}

std::vector<std::vector<std::string>> DependencyGraph::start_levels() const {
    std::map<std::string, size_t> remaining;
    for (const auto& [n, d] : deps_) remaining[n] = d.size();
    std::vector<std::vector<std::string>> levels;
    std::vector<std::string> current;
    for (const auto& [n, c] : remaining)
        if (c == 0) current.push_back(n);
    while (!current.empty()) {
        std::vector<std::string> next;
        for (const auto& n : current)
            for (const auto& r : dependents(n))
                if (--remaining[r] == 0) next.push_back(r);
        std::sort(next.begin(), next.end());
        levels.push_back(std::move(current));
        current = std::move(next);
    }
    return levels;
}

std::vector<std::vector<std::string>> DependencyGraph::stop_levels() const {
    auto l = start_levels();
    std::reverse(l.begin(), l.end());
    return l;
}

std::set<std::string> DependencyGraph::select(const std::vector<std::string>& names, bool with_deps) const {
    std::set<std::string> out;
    if (names.empty()) {
        for (const auto& [n, _] : deps_) out.insert(n);
        return out;
    }
    std::vector<std::string> todo;
    for (const auto& n : names) {
        if (!deps_.count(n)) throw UserError("no such service: " + n);
        todo.push_back(n);
    }
    while (!todo.empty()) {
        auto n = todo.back();
        todo.pop_back();
        if (!out.insert(n).second) continue;
        if (with_deps)
            for (const auto& d : dependencies(n)) todo.push_back(d);
    }
    return out;
}

}  // namespace berth::compose
