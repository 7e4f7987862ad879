#pragma once
// Durations and times as docker prints them in listings: go-units' HumanDuration ("Less than a
// second", "About a minute", "3 hours", "2 weeks"), and RFC 3339 times read back.
#include <chrono>
#include <ctime>
#include <optional>
#include <string>

namespace berth {

std::string human_duration(std::chrono::nanoseconds d);

// "2026-11-22T11:01:57.123456789Z" or with an offset ("+02:00"); nullopt for "" or bad text.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& s);

// A time as docker's --since/--until take it: RFC 3339 ("2026-11-22T11:01:57Z", an offset, or a
// date-time without zone as UTC), Unix seconds ("1700000000[.5]"), or a Go duration before `now`
// ("10m", "1h30m", "45s"). UserError naming the flag otherwise.
std::chrono::system_clock::time_point parse_time_or_duration(const std::string& s, const std::string& flag,
                                                             std::chrono::system_clock::time_point now);

// A process start time as `ps -ef` prints STIME (docker top runs it): "14:05" when it started
// today, "Dec07" this year, "2025" before; in local time.
std::string ps_start_time(std::time_t start, std::time_t now);

// A time as Go's time.Time.String() prints it in local time: "2026-11-22 12:01:57 +0100 CET".
std::string go_time_text(std::chrono::system_clock::time_point t);

}  // namespace berth
