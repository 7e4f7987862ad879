#pragma once
// A project in a temporary directory and state root, driven through the real CLI; TearDown runs
// `down -v` and checks that no mount of the root is left.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "tests/support/privileged.hpp"
#include "tests/support/test_image.hpp"

namespace berth::test {

namespace fs = std::filesystem;

inline std::string quote(const std::string& s) { return "'" + s + "'"; }

class ProjectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BERTH_REQUIRE_ROOT();
    char tmpl[] = "/tmp/berth-project-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    root_ = dir_ / "root";
    fs::create_directories(root_);
    project_ = "t" + std::to_string(std::random_device{}() % 1000000);
    ensure_busybox_image(root_, "berth-examples/busybox:latest");
  }
  void TearDown() override {
    if (dir_.empty()) return;
    berth("down -v -t 1");
    std::string out;
    // nothing of the test may be left: no containers, mounts or network objects of its root
    run_command("grep -c " + quote(root_.string()) + " /proc/self/mountinfo", &out);
    EXPECT_EQ(std::stoi(out), 0) << "mounts left under " << root_;
    fs::remove_all(dir_);
  }
  void write(const std::string& yaml) {
    std::ofstream(dir_ / "compose.yaml") << yaml;
  }
  int berth(const std::string& args, std::string* out = nullptr) {
    std::string cmd = std::string(BERTH_BINARY_DIR) + "/berth --root " + quote(root_.string()) + " -p " + project_ +
                      " --project-directory " + quote(dir_.string()) + " " + args;
    std::string local;
    int rc = run_command(cmd, out ? out : &local);
    return rc;
  }
  // berth with only the state root (the `container` and `volume` commands)
  int berth_root(const std::string& args, std::string* out = nullptr) {
    std::string local;
    return run_command(std::string(BERTH_BINARY_DIR) + "/berth --root " + quote(root_.string()) + " " + args,
                       out ? out : &local);
  }
  // "running", "paused", "created" or "exited": the state of the service's first container
  std::string state_of(const std::string& service) {
    std::string out;
    berth("ps -a --format json " + service, &out);
    for (const char* s : {"running", "paused", "created", "exited"})
      if (out.find(std::string("\"") + s) != std::string::npos) return s;
    return out;
  }
  std::string ids() {
    std::string out;
    berth("ps -a -q", &out);
    return out;
  }

  fs::path dir_, root_;
  std::string project_;
};

}  // namespace berth::test
