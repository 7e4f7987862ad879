// Durations and times as docker prints them (ps, images, top, --since/--until).
#include "base/human_duration.hpp"

#include <gtest/gtest.h>

#include "base/error.hpp"

namespace berth {
namespace {

using namespace std::chrono;

TEST(HumanDuration, GoUnitsWords) {
  EXPECT_EQ(human_duration(milliseconds(300)), "Less than a second");
  EXPECT_EQ(human_duration(seconds(1)), "1 second");
  EXPECT_EQ(human_duration(seconds(3)), "3 seconds");
  EXPECT_EQ(human_duration(seconds(59)), "59 seconds");
  EXPECT_EQ(human_duration(seconds(61)), "About a minute");
  EXPECT_EQ(human_duration(minutes(2) + seconds(30)), "2 minutes");
  EXPECT_EQ(human_duration(minutes(70)), "About an hour");
  EXPECT_EQ(human_duration(hours(5)), "5 hours");
  EXPECT_EQ(human_duration(hours(24 * 3)), "3 days");
  EXPECT_EQ(human_duration(hours(24 * 7 * 3)), "3 weeks");
  EXPECT_EQ(human_duration(hours(24 * 30 * 5)), "5 months");
  EXPECT_EQ(human_duration(hours(24 * 365 * 3)), "3 years");
}

TEST(HumanDuration, Rfc3339ReadBack) {
  auto t = parse_rfc3339("2026-11-22T11:01:57.5Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(duration_cast<milliseconds>(t->time_since_epoch()).count(), 1795345317500LL);
  auto offset = parse_rfc3339("2026-11-22T12:01:57.5+01:00");
  ASSERT_TRUE(offset);
  EXPECT_EQ(*offset, *t);
  EXPECT_FALSE(parse_rfc3339(""));
  EXPECT_FALSE(parse_rfc3339("yesterday"));
}

TEST(HumanDuration, SinceAndUntilValues) {
  auto now = system_clock::time_point(seconds(1800000000));
  EXPECT_EQ(parse_time_or_duration("10m", "--since", now), now - minutes(10));
  EXPECT_EQ(parse_time_or_duration("1h30m", "--since", now), now - minutes(90));
  EXPECT_EQ(parse_time_or_duration("1700000000", "--since", now), system_clock::time_point(seconds(1700000000)));
  EXPECT_EQ(parse_time_or_duration("2026-11-22T11:01:57Z", "--until", now), *parse_rfc3339("2026-11-22T11:01:57Z"));
  EXPECT_EQ(parse_time_or_duration("2026-11-22T11:01:57", "--until", now), *parse_rfc3339("2026-11-22T11:01:57Z"));
  try {
    parse_time_or_duration("10x", "--since", now);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--since: invalid time \"10x\""), std::string::npos) << e.what();
  }
}

TEST(HumanDuration, PsStartTime) {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  std::time_t now = 1796000000;  // 2026-11-30 (UTC)
  EXPECT_EQ(ps_start_time(now - 60, now), "00:52");
  EXPECT_EQ(ps_start_time(now - 86400 * 3, now), "Nov27");
  EXPECT_EQ(ps_start_time(now - 86400 * 400, now), "2025");
}

}  // namespace
}  // namespace berth
