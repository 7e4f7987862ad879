// Each example under examples/ brought up from its own directory, checked, and taken down, with
// nothing of it left behind.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <random>

#include "tests/support/privileged.hpp"
#include "tests/support/test_image.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class Example : public ::testing::Test {
 protected:
  void SetUp() override {
    BERTH_REQUIRE_ROOT();
    char tmpl[] = "/tmp/berth-example-XXXXXX";
    root_ = ::mkdtemp(tmpl);
    project_ = "ex" + std::to_string(std::random_device{}() % 1000000);
    ensure_busybox_image(root_, "berth-examples/busybox:latest");
  }
  void TearDown() override {
    if (root_.empty()) return;
    if (!dir_.empty()) berth("down -v -t 1");
    std::string out;
    // nothing left: no container, volume, network record or mount of this root
    run_command(std::string(BERTH_BINARY_DIR) + "/berth --root " + root_.string() + " container ls -a -q", &out);
    EXPECT_EQ(out, "");
    run_command(std::string(BERTH_BINARY_DIR) + "/berth --root " + root_.string() + " volume ls -q", &out);
    EXPECT_EQ(out, "");
    run_command("grep -c " + root_.string() + " /proc/self/mountinfo", &out);
    EXPECT_EQ(std::stoi(out), 0) << "mounts left under " << root_;
    EXPECT_FALSE(fs::exists(root_ / "networks" / (project_ + "_default.json")));
    fs::remove_all(root_);
  }
  int berth(const std::string& args, std::string* out = nullptr) {
    std::string local;
    return run_command(std::string(BERTH_BINARY_DIR) + "/berth --root " + root_.string() + " -p " + project_ +
                           " --project-directory " + dir_.string() + " " + args,
                       out ? out : &local);
  }
  // Retries `args` for a few seconds until it succeeds (services settle after `up`).
  int eventually(const std::string& args, std::string* out) {
    int rc = 1;
    for (int i = 0; i < 50 && rc != 0; ++i) {
      rc = berth(args, out);
      if (rc != 0) ::usleep(100000);
    }
    return rc;
  }
  fs::path root_, dir_;
  std::string project_;
};

TEST_F(Example, Hello) {
  dir_ = fs::path(BERTH_SOURCE_DIR) / "examples" / "hello";
  std::string out;
  ASSERT_EQ(berth("up -d --wait", &out), 0) << out;
  ASSERT_EQ(run_command("curl -s -m 5 http://127.0.0.1:8080/", &out), 0) << out;
  EXPECT_EQ(out, "hello from berth\n");  // examples/hello/site/index.html through the bind mount
  ASSERT_EQ(eventually("exec -T client grep -c visit /visits/log", &out), 0) << out;
  // the named volume survives down + up: the visits counted before are still there
  ASSERT_EQ(berth("down -t 1", &out), 0) << out;
  ASSERT_EQ(berth("up -d --wait", &out), 0) << out;
  ASSERT_EQ(berth("exec -T client cat /visits/log", &out), 0) << out;
  EXPECT_GE(out.size(), std::string("visit\n").size()) << out;
}

TEST_F(Example, FigLinks) {
  dir_ = fs::path(BERTH_SOURCE_DIR) / "examples" / "fig-links";
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  int rc = berth("run --rm app sh -c 'wget -q -O - http://database/ && echo port=$DATABASE_PORT_80_TCP_PORT'", &out);
  if (rc != 0) rc = eventually("run --rm app sh -c 'wget -q -O - http://database/ && echo port=$DATABASE_PORT_80_TCP_PORT'", &out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "rows: 3\nport=80\n");
  ASSERT_EQ(berth("logs app", &out), 0) << out;
  EXPECT_NE(out.find("db at 10."), std::string::npos) << out;
  // legacy links are in /etc/hosts too (alias, service and container name), as Docker writes them
  ASSERT_EQ(berth("exec -T app cat /etc/hosts", &out), 0) << out;
  EXPECT_NE(out.find("\tdatabase db "), std::string::npos) << out;
  // the one-off's exit code is berth's
  EXPECT_EQ(berth("run --rm app sh -c 'exit 3'", &out), 3) << out;
}

TEST_F(Example, ScaleAndHealth) {
  dir_ = fs::path(BERTH_SOURCE_DIR) / "examples" / "scale";
  std::string out;
  ASSERT_EQ(berth("up -d --wait", &out), 0) << out;
  ASSERT_EQ(berth("ps -q worker", &out), 0) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3) << out;
  ASSERT_EQ(berth("exec -T probe nslookup worker", &out), 0) << out;
  size_t addresses = 0;
  for (size_t at = out.find("Name:"); at != std::string::npos; at = out.find("Name:", at + 1)) ++addresses;
  EXPECT_EQ(addresses, 3u) << out;
  ASSERT_EQ(berth("up -d --scale worker=5", &out), 0) << out;
  ASSERT_EQ(berth("ps -q worker", &out), 0) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 5) << out;
}

// The Docker-era classic: a Flask app built from a Dockerfile (up --build) counting visits in Redis,
// on a bookworm base image that the example's script makes with mmdebstrap from Debian's packages
// (about a minute the first time on a machine; afterwards imported from the cached tarball in 1-2 s).
TEST_F(Example, VisitsBuildsAndCountsInRedis) {
  dir_ = fs::path(BERTH_SOURCE_DIR) / "examples" / "visits";
  std::string out;
  using clock = std::chrono::steady_clock;
  auto seconds = [](clock::time_point since) {
    return std::chrono::duration<double>(clock::now() - since).count();
  };
  auto t = clock::now();
  ASSERT_EQ(run_command("BERTH_ROOT=" + root_.string() + " " + (dir_ / "make-base-image.sh").string() + " " +
                            BERTH_BINARY_DIR + "/berth",
                        &out),
            0)
      << out;
  double base = seconds(t);
  t = clock::now();
  ASSERT_EQ(berth("up --build -d", &out), 0) << out;
  double up = seconds(t);
  EXPECT_NE(out.find("CMD [\"python3\", \"app.py\"]"), std::string::npos) << out;  // it was built
  // Flask takes a moment to listen; a refused connection counts nothing, so retry until it answers.
  t = clock::now();
  int rc = 1;
  for (int i = 0; i < 300 && rc != 0; ++i) {
    rc = run_command("curl -sf -m 5 http://127.0.0.1:8085/", &out);
    if (rc != 0) ::usleep(100000);
  }
  double ready = seconds(t);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "Hello from berth! I have been seen 1 times.\n");
  ASSERT_EQ(run_command("curl -sf -m 5 http://127.0.0.1:8085/", &out), 0) << out;
  EXPECT_EQ(out, "Hello from berth! I have been seen 2 times.\n");
  // the Dockerfile's USER and the compose file's user: neither service runs as root
  ASSERT_EQ(berth("exec -T web id -un", &out), 0) << out;
  EXPECT_EQ(out, "app\n");
  ASSERT_EQ(berth("exec -T redis id -un", &out), 0) << out;
  EXPECT_EQ(out, "redis\n");
  std::cerr << "[visits] base image " << base << " s, up --build " << up << " s, first answer " << ready
            << " s later\n";
  ASSERT_EQ(berth("down -t 5", &out), 0) << out;
  ASSERT_EQ(berth("ps -a -q", &out), 0) << out;
  EXPECT_EQ(out, "");
  EXPECT_NE(run_command("curl -s -m 2 http://127.0.0.1:8085/", &out), 0) << out;  // the port is free again
}

}  // namespace
}  // namespace berth::test
