#pragma once
// Healthchecks run by the monitor: "berth __init exec <pid> @<request>" in the container's
// namespaces, output captured (first 4 KiB), killed at the timeout. Docker's rules: failures
// during start_period do not count; `retries` consecutive failures make it unhealthy.
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "engine/monitor/monitor_config.hpp"
#include "engine/monitor/status_file.hpp"

namespace berth::monitor {

std::int64_t now_ms();  // CLOCK_MONOTONIC in ms

class HealthChecker {
 public:
  bool enabled(const Config& c) const { return !c.health_request_path.empty(); }
  // Called when the container (re)started.
  void reset(const Config& c, Status& st, std::int64_t now);
  // ms until the checker needs attention (-1 = nothing scheduled).
  int timeout_ms(std::int64_t now) const;
  // Starts a probe when due, kills it at its deadline. Returns true when `st` changed.
  bool tick(const Config& c, pid_t container_pid, Status& st, std::int64_t now);
  int output_fd() const { return out_fd_; }
  void on_output();                      // readable output_fd
  bool owns(pid_t pid) const { return pid == probe_pid_ && pid > 0; }
  // The probe exited: updates the status. Returns true (status changed).
  bool on_exit(const Config& c, int wait_status, Status& st, std::int64_t now);
  void stop();  // the container exited: kill a running probe

 private:
  std::int64_t started_ = 0;   // when the container started
  std::int64_t next_ = -1;     // next probe
  std::int64_t deadline_ = 0;  // running probe's deadline
  pid_t probe_pid_ = 0;
  int out_fd_ = -1;
  bool timed_out_ = false;
  std::string output_;
};

}  // namespace berth::monitor
