#include "engine/monitor/time_format.hpp"

#include <cstdio>

namespace berth::monitor {

namespace {

// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's civil_from_days).
// By hand because glibc's gmtime_r initializes the time zone first: it reads /etc/localtime,
// a file access and a good many page faults on the path of every container start.
void civil_from_days(long long z, long long& y, unsigned& m, unsigned& d) {
  z += 719468;
  long long era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<long long>(yoe) + era * 400 + (m <= 2);
}

}  // namespace

std::size_t format_time(const struct timespec& ts, char* buf) {
  long long secs = ts.tv_sec, days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400, rem = secs - days * 86400;
  long long year;
  unsigned month, day;
  civil_from_days(days, year, month, day);
  int n = std::snprintf(buf, kTimeBufSize, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%09ldZ", year, month, day, rem / 3600,
                        rem / 60 % 60, rem % 60, static_cast<long>(ts.tv_nsec));
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

std::size_t format_now(char* buf) {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return format_time(ts, buf);
}

}  // namespace berth::monitor
