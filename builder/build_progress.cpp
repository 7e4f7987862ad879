#include "builder/build_progress.hpp"

#include <fmt/core.h>

#include <utility>

namespace berth::builder {

BuildProgress::Step BuildProgress::start(const std::string& title) {
  std::lock_guard lock(mu_);
  int n = next_++;
  if (!quiet_) fmt::print(out_, "#{} {}\n", n, title);
  std::fflush(out_);
  return Step(*this, n);
}

void BuildProgress::print(const std::string& line) {
  std::lock_guard lock(mu_);
  if (!quiet_) fmt::print(out_, "{}\n", line);
  std::fflush(out_);
}

void BuildProgress::warn(const std::string& message) {
  std::lock_guard lock(mu_);
  fmt::print(out_, "WARNING: {}\n", message);
  std::fflush(out_);
}

void BuildProgress::Step::line(const std::string& l) {
  lines_.push_back(l);
  double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  p_.print(fmt::format("#{} {:.3f} {}", n_, t, l));
}

void BuildProgress::Step::output(const std::string& text) {
  partial_ += text;
  for (auto nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n')) {
    line(partial_.substr(0, nl));
    partial_.erase(0, nl + 1);
  }
}

void BuildProgress::Step::cached() { p_.print(fmt::format("#{} CACHED", n_)); }

void BuildProgress::Step::done() {
  if (!partial_.empty()) line(std::exchange(partial_, {}));
  double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  p_.print(fmt::format("#{} DONE {:.1f}s", n_, t));
}

void BuildProgress::Step::error(const std::string& message) {
  if (!partial_.empty()) line(std::exchange(partial_, {}));
  p_.print(fmt::format("#{} ERROR: {}", n_, message));
}

}  // namespace berth::builder
