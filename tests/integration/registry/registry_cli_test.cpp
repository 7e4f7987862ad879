// The registry client against Debian's docker-registry (the reference distribution registry),
// started by the test on loopback with a temporary storage directory.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/registry/registry_fixture.hpp"
#include "tests/support/privileged.hpp"
#include "tests/support/test_image.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class Registry : public ::testing::Test {
 protected:
  void SetUp() override {
    BERTH_REQUIRE_ROOT();
    char tmpl[] = "/tmp/berth-registry-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    port_ = free_loopback_port();
    host_ = "127.0.0.1:" + std::to_string(port_);
    std::ofstream(dir_ / "config.yml") << "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: " << (dir_ / "data").string()
                                       << "\nhttp:\n  addr: " << host_ << "\nlog:\n  level: error\n";
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string conf = (dir_ / "config.yml").string();
      ::execl("/usr/bin/docker-registry", "docker-registry", "serve", conf.c_str(), nullptr);
      ::_exit(127);
    }
    std::string out;
    for (int i = 0; i < 100; ++i) {
      if (run_command("curl -sf http://" + host_ + "/v2/", &out) == 0) break;
      usleep(50000);
    }
    ensure_busybox_image(dir_ / "a");
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  int berth(const std::string& root, const std::string& args, std::string* out) {
    return run_command(std::string(BERTH_BINARY_DIR) + "/berth --root " + (dir_ / root).string() + " " + args, out);
  }

  fs::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::string host_;
};

TEST_F(Registry, PushThenPullIntoAnEmptyStoreRuns) {
  std::string out;
  std::string ref = host_ + "/test/busybox:1";
  ASSERT_EQ(berth("a", "image tag berth-test/busybox:latest " + ref, &out), 0) << out;
  ASSERT_EQ(berth("a", "image push " + ref, &out), 0) << out;
  ASSERT_EQ(berth("b", "image pull " + ref, &out), 0) << out;
  std::string id_a, id_b;
  berth("a", "image inspect " + ref, &id_a);
  berth("b", "image inspect " + ref, &id_b);
  ASSERT_NE(id_a.find("\"Id\""), std::string::npos) << id_a;
  EXPECT_EQ(id_a.substr(id_a.find("sha256:"), 71), id_b.substr(id_b.find("sha256:"), 71));
  ASSERT_EQ(berth("b", "container run --rm " + ref + " echo pulled", &out), 0) << out;
  EXPECT_EQ(out, "pulled\n");
  // a second pull downloads nothing
  ASSERT_EQ(berth("b", "image pull " + ref, &out), 0) << out;
  EXPECT_NE(out.find("up to date"), std::string::npos) << out;
}

TEST_F(Registry, SkopeoReadsWhatBerthPushedAndBerthPullsWhatSkopeoPushed) {
  std::string out;
  std::string ref = host_ + "/test/busybox:2";
  ASSERT_EQ(berth("a", "image tag berth-test/busybox:latest " + ref, &out), 0) << out;
  ASSERT_EQ(berth("a", "image push " + ref, &out), 0) << out;
  ASSERT_EQ(run_command("skopeo inspect --tls-verify=false docker://" + ref, &out), 0) << out;
  EXPECT_NE(out.find("\"Architecture\": \"amd64\""), std::string::npos) << out;
  // skopeo copies it to another repository; berth pulls that
  std::string other = host_ + "/copied/busybox:3";
  ASSERT_EQ(run_command("skopeo copy --src-tls-verify=false --dest-tls-verify=false docker://" + ref + " docker://" + other, &out), 0)
      << out;
  ASSERT_EQ(berth("c", "image pull " + other, &out), 0) << out;
  ASSERT_EQ(berth("c", "container run --rm " + other + " echo via-skopeo", &out), 0) << out;
  EXPECT_EQ(out, "via-skopeo\n");
}

TEST_F(Registry, BadInputIsOneClearLineAndLeavesNothing) {
  std::string out;
  EXPECT_NE(berth("d", "image pull " + host_ + "/nothing/here:1", &out), 0);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find("nothing/here"), std::string::npos) << out;
  std::string list;
  berth("d", "images", &list);
  EXPECT_EQ(list.find("nothing/here"), std::string::npos) << list;
  // registry down
  EXPECT_NE(berth("d", "image pull 127.0.0.1:1/x/y:1", &out), 0);
  EXPECT_NE(out.find("127.0.0.1:1"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::test
