#pragma once
// Shared fixture of the runtime's integration tests: they drive the real CLI
// (`berth --root ROOT container ...`) in one temporary state root per test program (the busybox
// test image is imported into it once). Every test removes the containers it made; TearDown checks
// that nothing of them is left on the host (state dirs, cgroup dirs, mounts, monitors).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace berth::test {

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Runs `berth --root ROOT <args>`; stdout+stderr into *out. Returns the exit status.
  int berth(const std::string& args, std::string* out = nullptr);
  // The same with stdout and stderr kept apart.
  int berth_split(const std::string& args, std::string* out, std::string* err);
  // `container run -d FLAGS IMAGE COMMAND`: the new container's id (fails the test otherwise).
  std::string run_detached(const std::string& flags, const std::string& command);
  // `container exec ID ARGS` output (stdout+stderr); *rc gets the status when given. Exec flags go
  // before the id: exec("-u app " + id, "id").
  std::string exec(const std::string& id, const std::string& args, int* rc = nullptr);
  nlohmann::json inspect(const std::string& id);
  std::string status(const std::string& id);  // State.Status ("running", "exited", ...)
  // Waits (polling) until the container is no longer running; false after `timeout`.
  bool wait_exited(const std::string& id, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Ids of all containers in the root (`container ls -a --format json`).
  std::vector<std::string> all_ids();

  // What must be gone once a container is removed; empty when nothing is left.
  std::string leftovers(const std::string& full_id, int pid, int monitor_pid);
  // The monitor pid recorded in the container's state file (0 when none).
  int monitor_pid(const std::string& full_id);

  static bool poll_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout);
  static std::string quote(const std::string& s);
  static std::string read_text(const std::filesystem::path& p);
  static bool process_alive(int pid);

  static std::filesystem::path root();  // the shared state root (created on first use)
  static std::string image();           // the busybox test image reference
  std::string berth_exe() const;

  std::set<std::string> before_;  // containers that existed before the test (none, normally)
};

// Lines of `text` (without the trailing newline).
std::vector<std::string> lines_of(const std::string& text);

}  // namespace berth::test
