#include "cli/project_progress.hpp"

#include <fmt/core.h>

#include <algorithm>

#include <nlohmann/json.hpp>

namespace berth::cli {
namespace {

// Words that end an object's work (compose shows them with a check mark).
bool final_status(const std::string& s) {
  for (const char* w : {"Created", "Started", "Running", "Removed", "Stopped", "Recreated", "Healthy", "Pulled",
                        "Up to date", "Paused", "Unpaused", "Killed", "Exited"})
    if (s == w) return true;
  return s.rfind("Error", 0) == 0;
}

}  // namespace

ProjectProgress::ProjectProgress(Mode mode, std::FILE* out) : mode_(mode), out_(out) {
  if (mode_ == Mode::Tty)
    ticker_ = std::thread([this] {
      std::unique_lock lk(m_);
      while (!cv_.wait_for(lk, std::chrono::milliseconds(100), [this] { return stop_; })) redraw();
    });
}

ProjectProgress::~ProjectProgress() {
  {
    std::lock_guard lk(m_);
    stop_ = true;
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  std::lock_guard lk(m_);
  if (mode_ == Mode::Tty) redraw();
}

void ProjectProgress::update(const std::string& object, const std::string& status) {
  if (mode_ == Mode::Quiet) return;
  std::lock_guard lk(m_);
  auto now = std::chrono::steady_clock::now();
  if (mode_ == Mode::Plain) {
    fmt::print(out_, " - {:<40} {}\n", object, status);
    return;
  }
  if (mode_ == Mode::Json) {
    fmt::print(out_, "{}\n", nlohmann::json{{"id", object}, {"text", status}}.dump());
    std::fflush(out_);
    return;
  }
  auto it = std::find_if(rows_.begin(), rows_.end(), [&](const Row& r) { return r.object == object; });
  if (it == rows_.end()) {
    rows_.push_back({object, status, now, now, false});
    it = rows_.end() - 1;
  }
  it->status = status;
  it->changed = now;
  it->done = final_status(status);
  redraw();
}

void ProjectProgress::redraw() {
  if (drawn_ > 0) fmt::print(out_, "\x1b[{}A", drawn_);  // back to the first line drawn
  auto now = std::chrono::steady_clock::now();
  for (const auto& r : rows_) {
    auto until = r.done ? r.changed : now;
    double secs = std::chrono::duration<double>(until - r.started).count();
    fmt::print(out_, "\x1b[2K {} {:<40} {:<12} {:.1f}s\n", r.done ? "\u2714" : "\u283f", r.object, r.status, secs);
  }
  drawn_ = rows_.size();
  std::fflush(out_);
}

}  // namespace berth::cli
