// Runtime::logs: reads the monitor's json-file log (rotated files oldest first), filters by
// time, tails, and follows the live file across rotations until the container stops.
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "engine/monitor/time_format.hpp"
#include "engine/runtime/runtime.hpp"
#include "engine/runtime/runtime_internal.hpp"

namespace berth::engine {

using namespace detail;

namespace {

std::optional<LogEntry> parse_line(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return LogEntry{j.value("stream", "stdout"), j.value("time", ""), j.value("log", "")};
}

// "2026-11-22T11:01:57Z", "2026-11-22T11:01:57.5+02:00", "1700000000[.5]", "10m", "1h30m", "45s"
// -> our fixed-width UTC form, which orders as text.
std::string normalize_time(const std::string& s) {
  if (s.empty()) return s;
  using namespace std::chrono;
  struct timespec ts {};
  auto now = system_clock::now().time_since_epoch();
  if (std::isdigit(static_cast<unsigned char>(s.back())) == 0 && s.back() != 'Z' && s.find('-') == std::string::npos) {
    // A Go duration: sum of <number><unit>.
    double total = 0, num = 0, frac = 0;
    bool in_frac = false;
    std::string unit;
    auto flush = [&] {
      double v = num + frac;
      if (unit == "h") total += v * 3600;
      else if (unit == "m") total += v * 60;
      else if (unit == "s") total += v;
      else if (unit == "ms") total += v / 1000;
      else throw UserError("invalid time or duration \"" + s + "\"");
      num = frac = 0;
      in_frac = false;
      unit.clear();
    };
    double scale = 0.1;
    for (std::size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (std::isdigit(static_cast<unsigned char>(c))) {
        if (!unit.empty()) flush();
        if (in_frac) {
          frac += (c - '0') * scale;
          scale /= 10;
        } else {
          num = num * 10 + (c - '0');
        }
      } else if (c == '.') {
        in_frac = true;
        scale = 0.1;
      } else {
        unit += c;
      }
    }
    flush();
    auto t = now - duration_cast<nanoseconds>(duration<double>(total));
    auto ns = duration_cast<nanoseconds>(t).count();
    ts.tv_sec = ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
  } else if (s.find('-') == std::string::npos) {
    double v = std::stod(s);
    ts.tv_sec = static_cast<time_t>(v);
    ts.tv_nsec = static_cast<long>((v - static_cast<double>(ts.tv_sec)) * 1e9);
  } else {
    struct tm tm {};
    const char* rest = ::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) throw UserError("invalid time \"" + s + "\": use RFC 3339 or a duration like 10m");
    ts.tv_sec = ::timegm(&tm);
    if (*rest == '.') {
      ++rest;
      long ns = 0;
      int digits = 0;
      while (std::isdigit(static_cast<unsigned char>(*rest))) {
        if (digits < 9) ns = ns * 10 + (*rest - '0'), ++digits;
        ++rest;
      }
      while (digits++ < 9) ns *= 10;
      ts.tv_nsec = ns;
    }
    if (*rest == '+' || *rest == '-') {
      int hh = 0, mm = 0;
      std::sscanf(rest + 1, "%d:%d", &hh, &mm);
      long off = hh * 3600 + mm * 60;
      ts.tv_sec -= *rest == '+' ? off : -off;
    }
  }
  char buf[monitor::kTimeBufSize];
  monitor::format_time(ts, buf);
  return buf;
}

}  // namespace

void Runtime::logs(const std::string& name_or_id, const LogsOptions& options,
                   const std::function<void(const LogEntry&)>& sink) {
  ContainerInfo info = inspect(name_or_id);
  std::string since = normalize_time(options.since);
  std::string until = normalize_time(options.until);
  auto keep = [&](const LogEntry& e) {
    return (since.empty() || e.time >= since) && (until.empty() || e.time <= until);
  };
  std::deque<LogEntry> tail;
  auto emit = [&](LogEntry e) {
    if (!keep(e)) return;
    if (options.tail) {
      tail.push_back(std::move(e));
      if (tail.size() > *options.tail) tail.pop_front();
    } else {
      sink(e);
    }
  };
  int max_file = std::max(1, info.spec.log.max_file);
  for (int i = max_file - 1; i >= 1; --i) {
    std::ifstream in(info.log_path.string() + "." + std::to_string(i));
    std::string line;
    while (std::getline(in, line))
      if (auto e = parse_line(line)) emit(std::move(*e));
  }
  std::ifstream cur(info.log_path);
  std::string line;
  std::streamoff offset = 0;
  while (std::getline(cur, line)) {
    if (cur.eof()) break;  // a partly written last line: follow reads it once complete
    offset = cur.tellg();
    if (auto e = parse_line(line)) emit(std::move(*e));
  }
  for (auto& e : tail) sink(e);
  if (!options.follow) return;

  // Woken by the log growing or the monitor renaming its state file (the container ended), so
  // that a follower (a build step's output) ends with the container rather than up to a poll
  // interval later; the 100 ms poll stays as the fallback, and wake-ups are at least 10 ms apart
  // so that a chatty container does not make every write an inspect().
  UniqueFd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (watch && ::inotify_add_watch(watch.get(), info.dir.c_str(), IN_MODIFY | IN_MOVED_TO) < 0) watch.reset();
  struct stat st0 {};
  ::stat(info.log_path.c_str(), &st0);
  ino_t inode = st0.st_ino;
  std::string pending;
  for (;;) {
    std::ifstream in(info.log_path);
    in.seekg(offset);
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    offset += static_cast<std::streamoff>(chunk.size());
    pending += chunk;
    std::size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      if (auto e = parse_line(pending.substr(0, nl)); e && keep(*e)) sink(*e);
      pending.erase(0, nl + 1);
    }
    struct stat st {};
    if (::stat(info.log_path.c_str(), &st) == 0 && (st.st_ino != inode || st.st_size < offset)) {
      inode = st.st_ino;  // rotated (renamed away, or truncated with max-file 1): start over
      offset = 0;
      pending.clear();
      continue;
    }
    auto now = inspect(info.id);
    if (!now.running() && now.state != ContainerState::Restarting && chunk.empty()) return;
    if (!watch) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    auto woke = std::chrono::steady_clock::now();
    if (chunk.empty()) {  // else more may be there already: read again before waiting
      pollfd p{watch.get(), POLLIN, 0};
      ::poll(&p, 1, 100);
    }
    // A renamed file is the monitor's new state (the container may have ended): look at once,
    // or every short run (a build step) would wait out the rest of the 10 ms.
    alignas(inotify_event) char events[4096];
    bool state_changed = false;
    for (ssize_t n; (n = ::read(watch.get(), events, sizeof events)) > 0;)
      for (ssize_t i = 0; i < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(events + i);
        if (ev->mask & IN_MOVED_TO) state_changed = true;
        i += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      }
    if (!state_changed) std::this_thread::sleep_until(woke + std::chrono::milliseconds(10));
  }
}

}  // namespace berth::engine
