#include "engine/monitor/monitor_config.hpp"

#include <cstdlib>

#include "engine/monitor/kv_text.hpp"

namespace berth::monitor {

std::string serialize_config(const Config& c) {
  std::string out;
  kv_put(out, "id", c.id);
  kv_put(out, "state_path", c.state_path);
  kv_put(out, "lock_path", c.lock_path);
  kv_put(out, "log_path", c.log_path);
  kv_put(out, "log_max_size", c.log_max_size);
  kv_put(out, "log_max_file", static_cast<long>(c.log_max_file));
  kv_put(out, "berth_exe", c.berth_exe);
  kv_put(out, "init_spec_path", c.init_spec_path);
  kv_put(out, "tty", c.tty ? 1L : 0L);
  kv_put(out, "stdin_open", c.stdin_open ? 1L : 0L);
  kv_put(out, "restart", c.restart);
  kv_put(out, "restart_max", static_cast<long>(c.restart_max));
  kv_put(out, "oom_file", c.oom_file);
  kv_put(out, "health_request_path", c.health_request_path);
  kv_put(out, "health_interval_ms", c.health_interval_ms);
  kv_put(out, "health_timeout_ms", c.health_timeout_ms);
  kv_put(out, "health_start_period_ms", c.health_start_period_ms);
  kv_put(out, "health_start_interval_ms", c.health_start_interval_ms);
  kv_put(out, "health_retries", static_cast<long>(c.health_retries));
  kv_put(out, "pid_ns", c.pid_ns);
  kv_put(out, "ipc_ns", c.ipc_ns);
  kv_put(out, "uts_ns", c.uts_ns);
  kv_put(out, "events_path", c.events_path);
  kv_put(out, "event_attributes", c.event_attributes);
  return out;
}

Config parse_config(const std::string& text) {
  Config c;
  for (const auto& [k, v] : kv_parse(text)) {
    long n = std::strtol(v.c_str(), nullptr, 10);
    if (k == "id") c.id = v;
    else if (k == "state_path") c.state_path = v;
    else if (k == "lock_path") c.lock_path = v;
    else if (k == "log_path") c.log_path = v;
    else if (k == "log_max_size") c.log_max_size = n;
    else if (k == "log_max_file") c.log_max_file = static_cast<int>(n);
    else if (k == "berth_exe") c.berth_exe = v;
    else if (k == "init_spec_path") c.init_spec_path = v;
    else if (k == "tty") c.tty = n != 0;
    else if (k == "stdin_open") c.stdin_open = n != 0;
    else if (k == "restart") c.restart = v;
    else if (k == "restart_max") c.restart_max = static_cast<int>(n);
    else if (k == "oom_file") c.oom_file = v;
    else if (k == "health_request_path") c.health_request_path = v;
    else if (k == "health_interval_ms") c.health_interval_ms = n;
    else if (k == "health_timeout_ms") c.health_timeout_ms = n;
    else if (k == "health_start_period_ms") c.health_start_period_ms = n;
    else if (k == "health_start_interval_ms") c.health_start_interval_ms = n;
    else if (k == "health_retries") c.health_retries = static_cast<int>(n);
    else if (k == "pid_ns") c.pid_ns = v;
    else if (k == "ipc_ns") c.ipc_ns = v;
    else if (k == "uts_ns") c.uts_ns = v;
    else if (k == "events_path") c.events_path = v;
    else if (k == "event_attributes") c.event_attributes = v;
  }
  return c;
}

}  // namespace berth::monitor
