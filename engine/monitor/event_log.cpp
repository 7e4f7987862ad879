#include "engine/monitor/event_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/monitor/time_format.hpp"

namespace berth::monitor {

void append_event(const std::string& path, const std::string& action, const std::string& id,
                  const std::string& attributes, const std::string& extra) {
  if (path.empty()) return;
  char now[kTimeBufSize];
  format_now(now);
  std::string attrs = attributes.size() >= 2 ? attributes : "{}";
  if (!extra.empty()) attrs = attrs.substr(0, attrs.size() - 1) + (attrs.size() > 2 ? "," : "") + extra + "}";
  std::string line = std::string("{\"time\":\"") + now + "\",\"type\":\"container\",\"action\":\"" + action +
                     "\",\"id\":\"" + id + "\",\"attributes\":" + attrs + "}\n";
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && st.st_size > kEventLogMaxBytes) ::rename(path.c_str(), (path + ".1").c_str());
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ssize_t n = ::write(fd, line.data(), line.size());
  (void)n;
  ::close(fd);
}

}  // namespace berth::monitor
