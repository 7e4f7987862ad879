#include "builder/build_progress.hpp"

#include <fmt/core.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <utility>

namespace berth::builder {
namespace {

constexpr std::size_t kLiveLines = 6;  // output lines shown per running step on a terminal

std::size_t width(std::FILE* f) {
  struct winsize ws {};
  if (::ioctl(::fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10) return ws.ws_col;
  return 80;
}

std::string fit(std::string s, std::size_t w) {
  for (auto& c : s)
    if (c == '\t' || c == '\r') c = ' ';
  if (s.size() >= w) s = s.substr(0, w - 1);
  return s;
}

}  // namespace

BuildProgress::BuildProgress(std::FILE* out, Mode mode) : out_(out), mode_(mode) {
  if (mode_ != Mode::Tty) return;
  ticker_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!tick_cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping_; }))
      if (!active_.empty()) emit("");
  });
}

BuildProgress::~BuildProgress() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  tick_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

double BuildProgress::seconds(const Active& a) const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - a.start).count();
}

void BuildProgress::emit(const std::string& permanent) {
  std::string s;
  if (drawn_ > 0) s += fmt::format("\x1b[{}F\x1b[J", drawn_);
  s += permanent;
  drawn_ = 0;
  std::size_t w = width(out_);
  for (const auto& [n, a] : active_) {
    s += fit(fmt::format("#{} {} {:.1f}s", n, a.title, seconds(a)), w) + "\n";
    ++drawn_;
    std::size_t from = a.lines.size() > kLiveLines ? a.lines.size() - kLiveLines : 0;
    for (std::size_t i = from; i < a.lines.size(); ++i, ++drawn_) s += "\x1b[2m" + fit("  " + a.lines[i], w) + "\x1b[0m\n";
  }
  std::fputs(s.c_str(), out_);
  std::fflush(out_);
}

BuildProgress::Step BuildProgress::start(const std::string& title) {
  std::lock_guard lock(mu_);
  int n = next_++;
  active_[n] = Active{title, std::chrono::steady_clock::now(), {}};
  if (mode_ == Mode::Plain) fmt::print(out_, "#{} {}\n", n, title);
  if (mode_ == Mode::Tty) emit("");
  std::fflush(out_);
  return Step(*this, n);
}

void BuildProgress::print(const std::string& line) {
  std::lock_guard lock(mu_);
  if (mode_ == Mode::Plain) fmt::print(out_, "{}\n", line);
  if (mode_ == Mode::Tty) emit(line + "\n");
  std::fflush(out_);
}

void BuildProgress::warn(const std::string& message) {
  std::lock_guard lock(mu_);
  if (mode_ == Mode::Tty) emit("WARNING: " + message + "\n");
  else fmt::print(out_, "WARNING: {}\n", message);
  std::fflush(out_);
}

void BuildProgress::step_line(int n, const std::string& line) {
  std::lock_guard lock(mu_);
  auto& a = active_.at(n);
  a.lines.push_back(line);
  if (mode_ == Mode::Plain) fmt::print(out_, "#{} {:.3f} {}\n", n, seconds(a), line);
  if (mode_ == Mode::Tty) emit("");
  std::fflush(out_);
}

void BuildProgress::finish(int n, const std::string& status, bool show_output) {
  std::lock_guard lock(mu_);
  auto it = active_.find(n);
  if (it == active_.end()) return;
  Active a = std::move(it->second);
  active_.erase(it);
  std::string st = status == "DONE" ? fmt::format("DONE {:.1f}s", seconds(a)) : status;
  if (mode_ == Mode::Plain) fmt::print(out_, "#{} {}\n", n, st);
  if (mode_ == Mode::Tty) {
    std::string text = fmt::format("#{} {}  {}\n", n, a.title, st);
    if (show_output)
      for (const auto& l : a.lines) text += fmt::format("#{} {}\n", n, l);
    emit(text);
  }
  std::fflush(out_);
}

void BuildProgress::Step::output(const std::string& text) {
  partial_ += text;
  for (auto nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n')) {
    p_.step_line(n_, partial_.substr(0, nl));
    partial_.erase(0, nl + 1);
  }
}

void BuildProgress::Step::cached() { p_.finish(n_, "CACHED", false); }

void BuildProgress::Step::done() {
  if (!partial_.empty()) p_.step_line(n_, std::exchange(partial_, {}));
  p_.finish(n_, "DONE", false);
}

void BuildProgress::Step::error(const std::string& message) {
  if (!partial_.empty()) p_.step_line(n_, std::exchange(partial_, {}));
  p_.finish(n_, "ERROR: " + message, true);
}

}  // namespace berth::builder
