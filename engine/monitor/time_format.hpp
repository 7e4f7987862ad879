#pragma once
// RFC 3339 with nanoseconds in UTC ("2026-11-22T11:01:57.123456789Z"), as Docker writes it in
// json-file logs and inspect. No allocation: the monitor uses it for every log line.
#include <cstddef>
#include <ctime>

namespace berth::monitor {

inline constexpr std::size_t kTimeBufSize = 40;

// Writes the NUL-terminated text into buf (>= kTimeBufSize bytes); returns its length.
std::size_t format_time(const struct timespec& ts, char* buf);
// The current CLOCK_REALTIME, formatted.
std::size_t format_now(char* buf);

}  // namespace berth::monitor
