#include "base/human_duration.hpp"

#include <fmt/core.h>

#include <cctype>
#include <cmath>
#include <ctime>

#include "base/error.hpp"

namespace berth {

std::string human_duration(std::chrono::nanoseconds d) {
  using namespace std::chrono;
  long long seconds = duration_cast<std::chrono::seconds>(d).count();
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return fmt::format("{} seconds", seconds);
  long long minutes = seconds / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return fmt::format("{} minutes", minutes);
  auto hours = static_cast<long long>(std::round(duration<double, std::ratio<3600>>(d).count()));
  if (hours == 1) return "About an hour";
  if (hours < 48) return fmt::format("{} hours", hours);
  if (hours < 24 * 7 * 2) return fmt::format("{} days", hours / 24);
  if (hours < 24 * 30 * 2) return fmt::format("{} weeks", hours / 24 / 7);
  if (hours < 24 * 365 * 2) return fmt::format("{} months", hours / 24 / 30);
  return fmt::format("{} years", seconds / 3600 / 24 / 365);
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& s) {
  struct tm tm {};
  const char* rest = ::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return std::nullopt;
  long long secs = ::timegm(&tm);
  long long ns = 0;
  if (*rest == '.') {
    ++rest;
    int digits = 0;
    while (std::isdigit(static_cast<unsigned char>(*rest))) {
      if (digits < 9) ns = ns * 10 + (*rest - '0'), ++digits;
      ++rest;
    }
    while (digits++ < 9) ns *= 10;
  }
  if (*rest == '+' || *rest == '-') {
    int hh = 0, mm = 0;
    if (std::sscanf(rest + 1, "%d:%d", &hh, &mm) < 1) return std::nullopt;
    long long off = hh * 3600LL + mm * 60LL;
    secs -= *rest == '+' ? off : -off;
  } else if (*rest != 'Z') {
    return std::nullopt;
  }
  return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::seconds(secs) + std::chrono::nanoseconds(ns)));
}

std::chrono::system_clock::time_point parse_time_or_duration(const std::string& s, const std::string& flag,
                                                             std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  auto bad = [&] { return UserError(flag + ": invalid time \"" + s + "\": use RFC 3339, Unix seconds or a duration like 10m"); };
  if (s.empty()) throw bad();
  if (s.find('-') != std::string::npos && s.find('T') != std::string::npos) {
    if (auto t = parse_rfc3339(s)) return *t;
    if (auto t = parse_rfc3339(s + "Z")) return *t;  // no zone: UTC
    throw bad();
  }
  bool number = s.find_first_not_of("0123456789.") == std::string::npos;
  if (number) {
    double v = 0;
    try {
      v = std::stod(s);
    } catch (const std::exception&) {
      throw bad();
    }
    return system_clock::time_point(duration_cast<system_clock::duration>(duration<double>(v)));
  }
  // A Go duration: a sum of <number><unit>, h m s ms us ns.
  double total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == start) throw bad();
    double num = std::stod(s.substr(start, i - start));
    std::size_t ustart = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    std::string unit = s.substr(ustart, i - ustart);
    if (unit == "h") total += num * 3600;
    else if (unit == "m") total += num * 60;
    else if (unit == "s") total += num;
    else if (unit == "ms") total += num / 1e3;
    else if (unit == "us") total += num / 1e6;
    else if (unit == "ns") total += num / 1e9;
    else throw bad();
  }
  return now - duration_cast<system_clock::duration>(duration<double>(total));
}

std::string ps_start_time(std::time_t start, std::time_t now) {
  struct tm s {}, n {};
  ::localtime_r(&start, &s);
  ::localtime_r(&now, &n);
  char buf[32];
  const char* fmt = s.tm_year != n.tm_year ? "%Y" : s.tm_yday != n.tm_yday ? "%b%d" : "%H:%M";
  std::strftime(buf, sizeof buf, fmt, &s);
  return buf;
}

std::string go_time_text(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  struct tm tm {};
  ::localtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
  return buf;
}

}  // namespace berth
