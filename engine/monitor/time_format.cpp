#include "engine/monitor/time_format.hpp"

#include <cstdio>

namespace berth::monitor {

std::size_t format_time(const struct timespec& ts, char* buf) {
  struct tm tm;
  ::gmtime_r(&ts.tv_sec, &tm);
  int n = std::snprintf(buf, kTimeBufSize, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long>(ts.tv_nsec));
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

std::size_t format_now(char* buf) {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return format_time(ts, buf);
}

}  // namespace berth::monitor
