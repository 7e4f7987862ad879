#include "engine/runtime/container_status.hpp"

#include "base/human_duration.hpp"

namespace berth::engine {
namespace {

// How long ago `when` was (zero when unknown or in the future: clocks of two processes).
std::chrono::nanoseconds since(const std::string& when, std::chrono::system_clock::time_point now) {
  auto t = parse_rfc3339(when);
  if (!t || *t > now) return std::chrono::nanoseconds(0);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(now - *t);
}

}  // namespace

std::string status_text(const ContainerInfo& c, std::chrono::system_clock::time_point now) {
  switch (c.state) {
    case ContainerState::Created: return "Created";
    case ContainerState::Dead: return "Dead";
    case ContainerState::Paused: return "Up " + human_duration(since(c.started_at, now)) + " (Paused)";
    case ContainerState::Restarting:
      return "Restarting (" + std::to_string(c.exit_code) + ") " + human_duration(since(c.finished_at, now)) + " ago";
    case ContainerState::Exited:
      return "Exited (" + std::to_string(c.exit_code) + ") " + human_duration(since(c.finished_at, now)) + " ago";
    case ContainerState::Running: {
      std::string s = "Up " + human_duration(since(c.started_at, now));
      if (c.health == "starting") s += " (health: starting)";
      else if (!c.health.empty()) s += " (" + c.health + ")";
      return s;
    }
  }
  return to_string(c.state);
}

}  // namespace berth::engine
