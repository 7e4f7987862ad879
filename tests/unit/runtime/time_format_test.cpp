// The monitor's timestamps (RFC 3339, UTC, nanoseconds) are computed without gmtime_r: they must
// agree with it everywhere, leap days and centuries included.
#include "engine/monitor/time_format.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace {

std::string reference(const struct timespec& ts) {
  struct tm tm;
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long>(ts.tv_nsec));
  return buf;
}

std::string formatted(const struct timespec& ts) {
  char buf[berth::monitor::kTimeBufSize];
  std::size_t n = berth::monitor::format_time(ts, buf);
  return std::string(buf, n);
}

TEST(TimeFormat, KnownInstants) {
  EXPECT_EQ(formatted({0, 0}), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(formatted({951782400, 5}), "2000-02-29T00:00:00.000000005Z");
  EXPECT_EQ(formatted({1795982325, 123456789}), "2026-11-29T19:58:45.123456789Z");
  EXPECT_EQ(formatted({-1, 999999999}), "1969-12-31T23:59:59.999999999Z");
}

TEST(TimeFormat, AgreesWithGmtimeOverCenturies) {
  // Every 7 hours and 13 seconds from 1901 to 2199: all months, leap days, 1900/2000/2100.
  for (long long t = -2145916800LL; t < 7258118400LL; t += 7 * 3600 + 13) {
    struct timespec ts {static_cast<time_t>(t), 42};
    ASSERT_EQ(formatted(ts), reference(ts)) << "at " << t;
  }
}

}  // namespace
