// Progress rendering for pulls and pushes (TTY bars or plain lines).
#include "engine/registry/progress_display.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdlib>

#include "base/human_size.hpp"

namespace berth::engine {

namespace {

// One decimal: the width of a progress line must not jump as the figures grow.
std::string size_text(std::uint64_t n) { return human_size(n, SizeDigits::OneDecimal); }

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

ProgressDisplay::Mode ProgressDisplay::choose(std::string_view flag, bool no_ansi, std::FILE* out) {
  if (flag == "quiet") return Mode::Quiet;
  if (flag == "plain" || flag == "json") return Mode::Plain;
  if (flag == "tty") return Mode::Tty;
  const char* term = std::getenv("TERM");
  bool dumb = term && std::string_view(term) == "dumb";
  return !no_ansi && !dumb && ::isatty(::fileno(out)) ? Mode::Tty : Mode::Plain;
}

ProgressDisplay::ProgressDisplay(Mode mode, std::FILE* out) : mode_(mode), out_(out) {}

ProgressDisplay::~ProgressDisplay() { finish(); }

std::string ProgressDisplay::row_text(const Row& r) const {
  std::string line = r.id + ": " + r.status;
  if (!r.active || r.total == 0) return line;
  constexpr int width = 40;
  int filled = static_cast<int>(width * std::min<double>(1.0, static_cast<double>(r.current) / static_cast<double>(r.total)));
  std::string bar(static_cast<size_t>(filled), '=');
  if (filled < width) bar += '>';
  bar.resize(width, ' ');
  double secs = seconds_since(r.started);
  double rate = secs > 0.05 ? static_cast<double>(r.current - r.started_at_bytes) / secs : 0;
  line = fmt::format("{:<30} [{}] {:>8}/{:<8} {:>9}/s", line, bar, size_text(r.current), size_text(r.total),
                     size_text(static_cast<std::uint64_t>(rate)));
  return line;
}

void ProgressDisplay::redraw_locked(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  std::string s;
  if (drawn_ > 0) s += fmt::format("\x1b[{}A", drawn_);
  for (auto& r : rows_) s += "\x1b[2K\r" + row_text(r) + "\n";
  drawn_ = static_cast<int>(rows_.size());
  std::fputs(s.c_str(), out_);
  std::fflush(out_);
}

void ProgressDisplay::plain_locked(const TransferEvent& e, Row& r) {
  using K = TransferEvent::Kind;
  std::string line;
  switch (e.kind) {
    case K::Waiting:
      return;
    case K::Progress:
      if (r.active) return;
      line = e.status + " (" + size_text(e.total) + ")";
      break;
    case K::Resumed:
      line = "Resuming at " + size_text(e.current) + " of " + size_text(e.total);
      break;
    case K::Verifying: {
      double secs = seconds_since(r.started);
      std::uint64_t moved = e.total - r.started_at_bytes;
      line = r.active ? fmt::format("{} ({} in {:.1f}s, {}/s)", e.status, size_text(moved), secs,
                                    size_text(static_cast<std::uint64_t>(secs > 0 ? static_cast<double>(moved) / secs : 0)))
                      : e.status;
      break;
    }
    default:
      line = e.status;
  }
  std::fputs((e.id + ": " + line + "\n").c_str(), out_);
  std::fflush(out_);
}

void ProgressDisplay::on_event(const TransferEvent& e) {
  if (mode_ == Mode::Quiet) return;
  std::lock_guard lk(mu_);
  if (finished_) return;
  if (e.id.empty()) {  // a message about the whole image
    if (mode_ == Mode::Tty && !rows_.empty()) {
      redraw_locked(true);
      // The rows stay as they are; new rows (if any) start below the message.
      rows_.clear();
      index_.clear();
      drawn_ = 0;
    }
    std::fputs((e.status + "\n").c_str(), out_);
    std::fflush(out_);
    return;
  }
  auto [it, added] = index_.try_emplace(e.id, rows_.size());
  if (added) rows_.push_back(Row{e.id, e.status, 0, e.total, 0, std::chrono::steady_clock::now(), false});
  Row& r = rows_[it->second];
  using K = TransferEvent::Kind;
  if (mode_ == Mode::Plain) plain_locked(e, r);
  if ((e.kind == K::Progress || e.kind == K::Resumed) && !r.active) {
    r.active = true;
    r.started = std::chrono::steady_clock::now();
    r.started_at_bytes = e.current;
  }
  if (e.kind == K::Done || e.kind == K::Exists || e.kind == K::Extracting || e.kind == K::Verifying) r.active = false;
  r.status = e.status;
  r.current = e.current;
  if (e.total) r.total = e.total;
  if (mode_ == Mode::Tty) redraw_locked(e.kind != K::Progress);
}

void ProgressDisplay::finish() {
  std::lock_guard lk(mu_);
  if (finished_) return;
  if (mode_ == Mode::Tty && !rows_.empty()) redraw_locked(true);
  finished_ = true;
}

}  // namespace berth::engine
