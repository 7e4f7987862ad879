// berth watch (compose's develop.watch) through the real CLI: berth runs in the background while
// the test changes files, and each rule's action is checked in the container.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include "tests/integration/orchestrate/project_fixture.hpp"

namespace berth::test {
namespace {

class Watch : public ProjectTest {
 protected:
  void TearDown() override {
    stop_watch();
    ProjectTest::TearDown();
  }
  // `berth watch ARGS` in the background, its output in dir_/watch.log; waits for "Watch enabled".
  void start_watch(const std::string& args = "") {
    std::string cmd = "exec " + std::string(BERTH_BINARY_DIR) + "/berth --root " + quote(root_.string()) + " -p " +
                      project_ + " --project-directory " + quote(dir_.string()) + " watch " + args + " >" +
                      quote((dir_ / "watch.log").string()) + " 2>&1";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
      ::_exit(127);
    }
    ASSERT_TRUE(eventually([&] { return log().find("Watch enabled") != std::string::npos; }, 60)) << log();
  }
  // Ends the watch with SIGTERM; its exit code.
  int stop_watch() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string log() {
    std::ifstream in(dir_ / "watch.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static bool eventually(const std::function<bool()>& ok, int seconds = 20) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < end) {
      if (ok()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return ok();
  }
  // The file's contents in the service's container ("" and false when it is not there).
  bool in_container(const std::string& service, const std::string& path, std::string* text = nullptr) {
    std::string out;
    int rc = berth("exec -T " + service + " cat " + path, &out);
    if (text) *text = out;
    return rc == 0;
  }
  void put(const std::string& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << text;
  }

  pid_t pid_ = -1;
};

TEST_F(Watch, SyncCopiesAndRemovesFilesHonouringIgnoreAndInitialSync) {
  put("src/first", "one\n");
  put("src/skip.tmp", "no\n");
  write(R"(services:
  web:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app
          ignore: ["*.tmp"]
          initial_sync: true
        - path: ./cfg
          action: sync+exec
          target: /cfg
          exec:
            command: ["sh", "-c", "cat /cfg/x > /exec-ran"]
)");
  fs::create_directories(dir_ / "cfg");
  start_watch();  // brings the project up first
  std::string text;
  EXPECT_TRUE(eventually([&] { return in_container("web", "/app/first", &text); })) << text << log();
  EXPECT_EQ(text, "one\n");
  EXPECT_FALSE(in_container("web", "/app/skip.tmp"));

  put("src/sub/second", "two\n");
  put("src/later.tmp", "ignored\n");
  EXPECT_TRUE(eventually([&] { return in_container("web", "/app/sub/second", &text); })) << log();
  EXPECT_EQ(text, "two\n");
  put("src/first", "changed\n");
  EXPECT_TRUE(eventually([&] { return in_container("web", "/app/first", &text) && text == "changed\n"; })) << text << log();
  EXPECT_FALSE(in_container("web", "/app/later.tmp"));
  fs::remove(dir_ / "src" / "first");
  EXPECT_TRUE(eventually([&] { return !in_container("web", "/app/first"); })) << log();
  fs::remove_all(dir_ / "src" / "sub");
  EXPECT_TRUE(eventually([&] { return !in_container("web", "/app/sub/second"); })) << log();

  put("cfg/x", "exec saw this\n");
  EXPECT_TRUE(eventually([&] { return in_container("web", "/exec-ran", &text) && text == "exec saw this\n"; })) << text << log();
  EXPECT_NE(log().find("Syncing service \"web\" after"), std::string::npos) << log();
  EXPECT_EQ(stop_watch(), 0) << log();
}

TEST_F(Watch, RestartAndSyncRestartRestartTheContainers) {
  write(R"(services:
  app:
    image: berth-examples/busybox:latest
    command: ["sh", "-c", "echo start >> /starts; trap 'exit 0' TERM; while true; do sleep 0.2; done"]
    develop:
      watch:
        - path: ./conf
          action: sync+restart
          target: /conf
        - path: ./restart-me
          action: restart
)");
  put("conf/a", "A\n");
  put("restart-me", "0\n");
  start_watch();
  auto starts = [&] {
    std::string t;
    in_container("app", "/starts", &t);
    return std::count(t.begin(), t.end(), '\n');
  };
  ASSERT_TRUE(eventually([&] { return starts() == 1; })) << log();
  put("conf/a", "B\n");
  EXPECT_TRUE(eventually([&] { return starts() == 2; })) << log();
  std::string text;
  EXPECT_TRUE(in_container("app", "/conf/a", &text));
  EXPECT_EQ(text, "B\n");
  put("restart-me", "1\n");
  EXPECT_TRUE(eventually([&] { return starts() == 3; })) << log();
  EXPECT_FALSE(in_container("app", "/restart-me"));  // restart alone copies nothing
  EXPECT_EQ(stop_watch(), 0) << log();
}

TEST_F(Watch, RebuildRecreatesTheServiceFromTheNewImage) {
  put("web/Dockerfile", "FROM berth-examples/busybox:latest\nCOPY v /v\nCMD [\"sleep\", \"300\"]\n");
  put("web/v", "first\n");
  write(R"(services:
  web:
    build: ./web
    init: true
    develop:
      watch:
        - path: ./web
          action: rebuild
)");
  start_watch();
  std::string text;
  ASSERT_TRUE(in_container("web", "/v", &text)) << text << log();
  EXPECT_EQ(text, "first\n");
  std::string before;
  berth("ps -q web", &before);
  put("web/v", "second\n");
  EXPECT_TRUE(eventually([&] { return in_container("web", "/v", &text) && text == "second\n"; }, 120)) << text << log();
  std::string after;
  berth("ps -q web", &after);
  EXPECT_NE(before, after);  // a new container
  EXPECT_EQ(stop_watch(), 0) << log();
}

TEST_F(Watch, BadOrMissingRulesAreOneError) {
  write(R"(services:
  web:
    image: berth-examples/busybox:latest
)");
  std::string out;
  EXPECT_EQ(berth("watch", &out), 1);
  EXPECT_NE(out.find("none of the selected services is configured for watch"), std::string::npos) << out;
  write(R"(services:
  web:
    image: berth-examples/busybox:latest
    develop:
      watch:
        - path: ./src
          action: sync
)");
  EXPECT_EQ(berth("watch --no-up", &out), 1);
  EXPECT_NE(out.find("services.web.develop.watch[0]: action sync needs a target"), std::string::npos) << out;
  // develop is read, not warned about as ignored
  EXPECT_EQ(berth("config -q", &out), 0);
  EXPECT_EQ(out.find("develop"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::test
