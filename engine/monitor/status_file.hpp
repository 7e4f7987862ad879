#pragma once
// The monitor's live record of a container, <dir>/state: "key=value" lines, written atomically
// (temp + rename) by the monitor, read by the runtime (inspect, wait, ls). Values are one line:
// '\n' and '\\' are escaped. Kept free of JSON so the monitor stays tiny.
#include <sys/types.h>

#include <string>

namespace berth::monitor {

struct Status {
  std::string status;  // "running" | "restarting" | "exited" | "created" (start failed)
  pid_t pid = 0;       // host pid of the container init while running
  pid_t monitor_pid = 0;
  int exit_code = 0;
  std::string started_at;
  std::string finished_at;
  bool oom_killed = false;
  int restart_count = 0;
  bool stop_requested = false;  // an explicit stop: the restart policy must not undo it
  std::string error;
  std::string health;  // "" | "starting" | "healthy" | "unhealthy"
  int health_failing_streak = 0;
  std::string health_output;
};

std::string serialize_status(const Status& s);
// Unknown keys are ignored (newer monitors), missing ones keep their defaults.
Status parse_status(const std::string& text);
// Atomic write (temp file beside path, fsync-free: the state is advisory across reboots).
bool write_status(const char* path, const Status& s);

}  // namespace berth::monitor
