#pragma once
// The escape suite (tests/integration/security/): each test plays an attacker with a default
// container and asserts that the attempt fails and the host is unchanged. Containers run the
// busybox test image with the static escape probe (probe/escape_probe.c) at /probe.
#include <string>

#include "tests/support/runtime_fixture.hpp"

namespace berth::test {

inline constexpr const char* kProbeImage = "berth-test/probe:latest";

class SecurityTest : public RuntimeTest {
 protected:
  void SetUp() override;

  // `container run -d FLAGS probe-image COMMAND`: the id (fails the test otherwise).
  std::string run_probe(const std::string& flags, const std::string& command);
  // The berth command line for ARGS (root included), for tests that wrap it in their own shell.
  std::string berth_command(const std::string& args) const;
  // Runs `sh -c SCRIPT` through the shell; output (stdout+stderr) into *out.
  static int shell(const std::string& script, std::string* out = nullptr);
  // The container's cgroup directory for a v1 controller ("pids") or, "" for the unified one.
  static std::string cgroup_dir(const std::string& full_id, const std::string& controller);
  std::string full_id(const std::string& id) { return inspect(id).value("Id", ""); }
};

}  // namespace berth::test
