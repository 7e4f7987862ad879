// docker's Status column from a container's record.
#include "engine/runtime/container_status.hpp"

#include <gtest/gtest.h>

#include "base/human_duration.hpp"

namespace berth::engine {
namespace {

using namespace std::chrono;

const auto kNow = *parse_rfc3339("2026-12-07T12:00:00Z");

ContainerInfo info(ContainerState s) {
  ContainerInfo c;
  c.state = s;
  c.started_at = "2026-12-07T11:58:00.000000000Z";
  c.finished_at = "2026-12-07T11:59:57.000000000Z";
  return c;
}

TEST(ContainerStatus, RunningWithHealth) {
  auto c = info(ContainerState::Running);
  EXPECT_EQ(status_text(c, kNow), "Up 2 minutes");
  c.health = "healthy";
  EXPECT_EQ(status_text(c, kNow), "Up 2 minutes (healthy)");
  c.health = "starting";
  EXPECT_EQ(status_text(c, kNow), "Up 2 minutes (health: starting)");
  c.started_at = "2026-12-07T11:59:59.800000000Z";
  c.health = "unhealthy";
  EXPECT_EQ(status_text(c, kNow), "Up Less than a second (unhealthy)");
}

TEST(ContainerStatus, ExitedShowsCodeAndAgeButNoHealth) {
  auto c = info(ContainerState::Exited);
  c.exit_code = 0;
  c.health = "healthy";  // left from when it ran
  EXPECT_EQ(status_text(c, kNow), "Exited (0) 3 seconds ago");
  c.exit_code = 137;
  EXPECT_EQ(status_text(c, kNow), "Exited (137) 3 seconds ago");
}

TEST(ContainerStatus, OtherStates) {
  EXPECT_EQ(status_text(info(ContainerState::Created), kNow), "Created");
  EXPECT_EQ(status_text(info(ContainerState::Paused), kNow), "Up 2 minutes (Paused)");
  auto r = info(ContainerState::Restarting);
  r.exit_code = 1;
  EXPECT_EQ(status_text(r, kNow), "Restarting (1) 3 seconds ago");
  EXPECT_EQ(status_text(info(ContainerState::Dead), kNow), "Dead");
}

}  // namespace
}  // namespace berth::engine
