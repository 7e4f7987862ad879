#include "compose/orchestrate/service_hooks.hpp"

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/log.hpp"

namespace berth::compose::orchestrate {

std::vector<engine::ExecOptions> service_hooks(const Service& s, const std::string& key) {
  std::vector<engine::ExecOptions> out;
  auto it = s.extensions.find(key);
  if (it == s.extensions.end()) return out;
  auto hooks = nlohmann::json::parse(it->second);
  if (!hooks.is_array()) return out;
  for (const auto& h : hooks) {
    engine::ExecOptions o;
    const auto& cmd = h.value("command", nlohmann::json());
    if (cmd.is_string())
      o.argv = {"/bin/sh", "-c", cmd.get<std::string>()};  // compose's shell form
    else if (cmd.is_array())
      for (const auto& a : cmd) o.argv.push_back(a.is_string() ? a.get<std::string>() : a.dump());
    if (o.argv.empty()) continue;
    o.user = h.value("user", "");
    o.working_dir = h.value("working_dir", "");
    o.privileged = h.value("privileged", false);
    const auto& env = h.value("environment", nlohmann::json());
    if (env.is_object())
      for (const auto& [k, v] : env.items()) o.env.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump()));
    else if (env.is_array())
      for (const auto& e : env)
        if (e.is_string()) o.env.push_back(e.get<std::string>());
    out.push_back(std::move(o));
  }
  return out;
}

void run_hooks(engine::Runtime& rt, const std::string& id, const Service& s, const std::string& key) {
  for (const auto& o : service_hooks(s, key)) {
    int rc = rt.exec(id, o);
    if (rc == 0) continue;
    if (key == "pre_stop") {
      log::warn("service {}: pre_stop hook exited with code {}", s.name, rc);
      continue;
    }
    throw UserError("service " + s.name + ": " + key + " hook exited with code " + std::to_string(rc));
  }
}

}  // namespace berth::compose::orchestrate
