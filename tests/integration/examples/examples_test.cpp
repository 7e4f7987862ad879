// Each example under examples/ brought up from its own directory, checked, and taken down, with
// nothing of it left behind.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
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
  // `berth test` of the example (no -p: a fresh name; its ports remapped, so a user's example
  // stack holding 8080 or 8085 is neither hit nor in the way) with `script` as CMD. The script
  // finds `$B`: berth with this root, the harness project and the example's directory.
  int harness(const std::string& flags, const std::string& script, std::string* out) {
    const fs::path file = root_ / "check.sh";
    std::ofstream(file) << "set -e\nB=\"" << BERTH_BINARY_DIR << "/berth --root " << root_.string()
                        << " -p $BERTH_PROJECT --project-directory " << dir_.string() << "\"\n"
                        << script;
    return run_command(std::string(BERTH_BINARY_DIR) + "/berth --progress plain --root " + root_.string() +
                           " --project-directory " + dir_.string() + " test " + flags + " -- sh " + file.string(),
                       out);
  }
  fs::path root_, dir_;
  std::string project_;
};

// Through `berth test`: the example's fixed port 8080 is remapped, so this passes while the
// README's example stack is up.
TEST_F(Example, Hello) {
  dir_ = fs::path(BERTH_SOURCE_DIR) / "examples" / "hello";
  std::string out;
  ASSERT_EQ(harness("", R"sh(
test "$BERTH_PORT_WEB_80" != 127.0.0.1:8080
curl -s -m 5 http://$BERTH_PORT_WEB_80/
n=0; until $B exec -T client grep -c visit /visits/log; do n=$((n+1)); test $n -lt 50; sleep 0.1; done
# the named volume survives the client's container: the visits counted before are still there
$B rm -f -s client
$B up -d --wait --no-deps client
$B exec -T client cat /visits/log | grep -q visit && echo visits-kept
)sh", &out), 0) << out;
  EXPECT_NE(out.find("hello from berth\n"), std::string::npos) << out;  // examples/hello/site/index.html
  EXPECT_NE(out.find("visits-kept"), std::string::npos) << out;
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
  // Through `berth test --build` (8085 remapped). Flask takes a moment to listen; a refused
  // connection counts nothing, so the script retries until it answers.
  ASSERT_EQ(harness("--build", R"sh(
test "$BERTH_PORT_WEB_8000" != 127.0.0.1:8085
n=0; until first=$(curl -sf -m 5 http://$BERTH_PORT_WEB_8000/); do n=$((n+1)); test $n -lt 300; sleep 0.1; done
echo "first=$first"
echo "second=$(curl -sf -m 5 http://$BERTH_PORT_WEB_8000/)"
echo "web-user=$($B exec -T web id -un)"
echo "redis-user=$($B exec -T redis id -un)"
)sh", &out), 0) << out;
  double run = seconds(t);
  EXPECT_NE(out.find("CMD [\"python3\", \"app.py\"]"), std::string::npos) << out;  // it was built
  EXPECT_NE(out.find("first=Hello from berth! I have been seen 1 times.\n"), std::string::npos) << out;
  EXPECT_NE(out.find("second=Hello from berth! I have been seen 2 times.\n"), std::string::npos) << out;
  // the Dockerfile's USER and the compose file's user: neither service runs as root
  EXPECT_NE(out.find("web-user=app\n"), std::string::npos) << out;
  EXPECT_NE(out.find("redis-user=redis\n"), std::string::npos) << out;
  std::cerr << "[visits] base image " << base << " s, berth test --build (build, up, checks, down) " << run << " s\n";
}

}  // namespace
}  // namespace berth::test
