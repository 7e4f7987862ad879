#include "engine/monitor/status_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "engine/monitor/kv_text.hpp"

namespace berth::monitor {

std::string serialize_status(const Status& s) {
  std::string out;
  kv_put(out, "status", s.status);
  kv_put(out, "pid", static_cast<long>(s.pid));
  kv_put(out, "monitor_pid", static_cast<long>(s.monitor_pid));
  kv_put(out, "exit_code", static_cast<long>(s.exit_code));
  kv_put(out, "started_at", s.started_at);
  kv_put(out, "finished_at", s.finished_at);
  kv_put(out, "oom_killed", s.oom_killed ? 1L : 0L);
  kv_put(out, "restart_count", static_cast<long>(s.restart_count));
  kv_put(out, "stop_requested", s.stop_requested ? 1L : 0L);
  kv_put(out, "error", s.error);
  kv_put(out, "health", s.health);
  kv_put(out, "health_failing_streak", static_cast<long>(s.health_failing_streak));
  kv_put(out, "health_output", s.health_output);
  return out;
}

Status parse_status(const std::string& text) {
  Status s;
  for (const auto& [key, value] : kv_parse(text)) {
    long n = std::strtol(value.c_str(), nullptr, 10);
    if (key == "status") s.status = value;
    else if (key == "pid") s.pid = static_cast<pid_t>(n);
    else if (key == "monitor_pid") s.monitor_pid = static_cast<pid_t>(n);
    else if (key == "exit_code") s.exit_code = static_cast<int>(n);
    else if (key == "started_at") s.started_at = value;
    else if (key == "finished_at") s.finished_at = value;
    else if (key == "oom_killed") s.oom_killed = n != 0;
    else if (key == "restart_count") s.restart_count = static_cast<int>(n);
    else if (key == "stop_requested") s.stop_requested = n != 0;
    else if (key == "error") s.error = value;
    else if (key == "health") s.health = value;
    else if (key == "health_failing_streak") s.health_failing_streak = static_cast<int>(n);
    else if (key == "health_output") s.health_output = value;
  }
  return s;
}

bool write_status(const char* path, const Status& s) {
  std::string data = serialize_status(s);
  std::string tmp = std::string(path) + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ::close(fd);
  return ::rename(tmp.c_str(), path) == 0;
}

}  // namespace berth::monitor
