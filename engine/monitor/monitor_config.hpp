#pragma once
// What the runtime tells a container's monitor (key=value lines, the first datagram on its ctl
// socket): sent by Runtime::start, read by berth-monitor. Shared so both sides agree on the keys.
#include <string>

namespace berth::monitor {

struct Config {
  std::string id;
  std::string state_path;      // <dir>/state (the monitor's Status)
  std::string lock_path;       // <runtime>/containers/<id>/monitor.lock (held while alive)
  std::string log_path;        // <dir>/<id>-json.log
  long log_max_size = 0;
  int log_max_file = 1;
  std::string berth_exe;       // re-executed as "berth __init" (and "__init exec" for healthchecks)
  std::string init_spec_path;  // the InitSpec JSON, passed through to the init as bytes
  bool tty = false;
  bool stdin_open = false;
  std::string restart = "no";  // no | always | on-failure | unless-stopped
  int restart_max = 0;         // on-failure:N (0 = unlimited)
  std::string oom_file;        // cgroup file holding "oom_kill N" (v1 memory.oom_control, v2 memory.events)
  // Healthcheck: health_request is the "__init exec" request JSON (empty: no healthcheck).
  std::string health_request_path;
  long health_interval_ms = 30000;
  long health_timeout_ms = 30000;
  long health_start_period_ms = 0;
  long health_start_interval_ms = 5000;
  int health_retries = 3;
  // The host's event log and this container's attributes there (event_log.hpp).
  // Namespaces of the init (ContainerSpec::pid_mode ...): "" new, "host" the monitor's own, else
  // the path of one to join (setns before the clone).
  std::string pid_ns, ipc_ns, uts_ns;
  std::string events_path;
  std::string event_attributes;
};

std::string serialize_config(const Config& c);
Config parse_config(const std::string& text);

}  // namespace berth::monitor
