// `berth test -- CMD`: the integration-test harness, through the real CLI. Each test checks
// that nothing of the harness project is left (containers, network records, volumes, the reaper).
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <set>
#include <thread>

#include "tests/integration/orchestrate/project_fixture.hpp"

namespace berth::test {
namespace {

class Harness : public ProjectTest {
 protected:
  // berth test with the fixture's root and directory but no -p: a fresh name per run.
  std::string harness_cmd(const std::string& args) {
    return std::string(BERTH_BINARY_DIR) + "/berth --progress plain --root " + quote(root_.string()) +
           " --project-directory " + quote(dir_.string()) + " test " + args;
  }
  int harness(const std::string& args, std::string* out) { return run_command(harness_cmd(args), out); }

  // Starts `berth test ...` in a process group of its own (as a CI job), output to a file.
  pid_t spawn(const std::string& args) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::setpgid(0, 0);
      std::string cmd = "exec " + harness_cmd(args) + " >" + quote((dir_ / "spawn.out").string()) + " 2>&1";
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
      ::_exit(127);
    }
    return pid;
  }
  // Waits (a minute at most) for the file CMD writes once it runs.
  bool wait_for_file(const fs::path& f) {
    for (int i = 0; i < 600; ++i) {
      if (fs::exists(f) && fs::file_size(f) > 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  // What is left of harness projects in the root: containers, volumes, network records, reapers.
  std::string leftovers() {
    std::string out, all;
    berth_root("container ls -a -q", &out);
    all += out;
    berth_root("volume ls -q", &out);
    all += out;
    if (fs::exists(root_ / "networks"))
      for (const auto& e : fs::directory_iterator(root_ / "networks"))
        if (e.path().extension() == ".json") all += "network " + e.path().filename().string() + "\n";
    for (const auto& e : fs::directory_iterator("/proc")) {
      std::ifstream in(e.path() / "cmdline");
      std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (cmdline.find("__test-reaper") != std::string::npos && cmdline.find(root_.string()) != std::string::npos)
        all += "reaper " + e.path().filename().string() + "\n";
    }
    return all;
  }
  // Polls until nothing is left (the reaper works after its owner died), up to `seconds`.
  std::string leftovers_after(int seconds) {
    std::string left;
    for (int i = 0; i < seconds * 10; ++i) {
      left = leftovers();
      if (left.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return left;
  }
  std::string spawned_output() {
    std::ifstream in(dir_ / "spawn.out");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
};

// web is healthy only once its page exists (a second after start): CMD must find it serving.
constexpr const char* kWeb = R"(services:
  web:
    image: berth-examples/busybox:latest
    init: true
    command: ["sh", "-c", "mkdir -p /www && sleep 1 && echo hello-harness > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports: ["18080:80", "127.0.0.1:18081:81/udp"]
    healthcheck:
      test: ["CMD", "test", "-f", "/www/index.html"]
      interval: 200ms
      start_interval: 100ms
      start_period: 30s
    volumes: [data:/data]
  setup:
    image: berth-examples/busybox:latest
    command: ["sh", "-c", "echo seeded > /data/seed"]
    volumes: [data:/data]
  app:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
    depends_on:
      setup: {condition: service_completed_successfully}
      web: {condition: service_healthy}
volumes:
  data: {}
)";

TEST_F(Harness, PassesTheExitCodeAndRemapsPorts) {
  write(kWeb);
  std::string out;
  // CMD sees the project ready, its ports on free loopback ports, the map in the file too.
  int rc = harness(
      "-- sh -c 'curl -sf -m 5 http://$BERTH_PORT_WEB_80/ && echo port=$BERTH_PORT_WEB_80 udp=$BERTH_PORT_WEB_81_UDP "
      "project=$BERTH_PROJECT && cat $BERTH_PORTS_FILE; exit 7'",
      &out);
  EXPECT_EQ(rc, 7) << out;
  EXPECT_NE(out.find("hello-harness\n"), std::string::npos) << out;
  EXPECT_NE(out.find("port=127.0.0.1:"), std::string::npos) << out;
  EXPECT_EQ(out.find("port=127.0.0.1:18080"), std::string::npos) << out;  // not the file's port
  EXPECT_NE(out.find("udp=127.0.0.1:"), std::string::npos) << out;
  EXPECT_EQ(out.find("udp=127.0.0.1:18081"), std::string::npos) << out;
  EXPECT_NE(out.find("project=berth-project-"), std::string::npos) << out;  // the directory's name ...
  EXPECT_NE(out.find("-test-"), std::string::npos) << out;                  // ... made unique
  EXPECT_NE(out.find("\"BERTH_PORT_WEB_80\": \"127.0.0.1:"), std::string::npos) << out;
  EXPECT_EQ(leftovers(), "");

  ASSERT_EQ(harness("-- true", &out), 0) << out;
  EXPECT_EQ(harness("-- sh -c 'exit 42'", &out), 42) << out;
  // a command that cannot be run: 127, as a shell says it
  EXPECT_EQ(harness("-- /nonexistent/cmd", &out), 127) << out;
  EXPECT_EQ(harness("app", &out), 1) << out;  // no "--": a usage error naming what is missing
  EXPECT_NE(out.find("needs a command after \"--\""), std::string::npos) << out;
  EXPECT_EQ(leftovers(), "");
}

TEST_F(Harness, KeepPortsPublishesTheFilesPorts) {
  write(R"(services:
  web:
    image: berth-examples/busybox:latest
    init: true
    command: ["sh", "-c", "mkdir -p /www && echo kept > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports: ["127.0.0.1:18090:80"]
)");
  std::string out;
  EXPECT_EQ(harness("--keep-ports -- sh -c 'echo port=$BERTH_PORT_WEB_80'", &out), 0) << out;
  EXPECT_NE(out.find("port=127.0.0.1:18090\n"), std::string::npos) << out;
  EXPECT_EQ(leftovers(), "");
}

TEST_F(Harness, NeverReadyRunsNoCommandAndPrintsTheLogs) {
  write(R"(services:
  broken:
    image: berth-examples/busybox:latest
    init: true
    command: ["sh", "-c", "echo broken-says-why; exec sleep 300"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 100ms
      retries: 2
  fine:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
)");
  std::string out;
  fs::path ran = dir_ / "ran";
  EXPECT_EQ(harness("-- touch " + quote(ran.string()), &out), 125) << out;
  EXPECT_FALSE(fs::exists(ran));
  EXPECT_NE(out.find("never became ready"), std::string::npos) << out;
  EXPECT_NE(out.find("broken-1 (unhealthy)"), std::string::npos) << out;
  EXPECT_NE(out.find("broken-says-why"), std::string::npos) << out;
  EXPECT_EQ(leftovers(), "");
}

TEST_F(Harness, FailedCommandPrintsLogsOfFailedServicesAndKeepOnFailureKeeps) {
  write(R"(services:
  crashed:
    image: berth-examples/busybox:latest
    command: ["sh", "-c", "echo crash-line-1; echo crash-line-2; echo crash-line-3; exit 3"]
  fine:
    image: berth-examples/busybox:latest
    init: true
    command: ["sh", "-c", "echo fine-says-hi; exec sleep 300"]
)");
  std::string out;
  // `crashed` exits at once: seen before the stack is ready the run is not-ready (125, CMD not
  // run), seen after it CMD's 1. Either way a failure, and its logs are shown.
  auto failed = [](int rc) { return rc == 1 || rc == 125; };
  EXPECT_TRUE(failed(harness("--logs-on-failure 2 -- sh -c 'sleep 1; exit 1'", &out))) << out;
  EXPECT_NE(out.find("crashed-1 (exited with code 3)"), std::string::npos) << out;
  EXPECT_NE(out.find("crash-line-3"), std::string::npos) << out;
  EXPECT_EQ(out.find("crash-line-1"), std::string::npos) << out;  // the last 2 lines only
  EXPECT_EQ(out.find("fine-says-hi"), std::string::npos) << out;  // a healthy service is not shown
  EXPECT_EQ(leftovers(), "");

  EXPECT_TRUE(failed(harness("--keep-on-failure -- false", &out))) << out;
  auto at = out.find(" -p ");
  ASSERT_NE(at, std::string::npos) << out;
  std::string name = out.substr(at + 4, out.find(' ', at + 4) - at - 4);
  std::string ps;
  ASSERT_EQ(berth_root("container ls -q", &ps), 0) << ps;
  EXPECT_NE(ps, "") << out;  // still up
  // `berth ls` names its owner
  ASSERT_EQ(berth_root("ls", &ps), 0) << ps;
  EXPECT_NE(ps.find(name), std::string::npos) << ps;
  EXPECT_NE(ps.find("berth test pid "), std::string::npos) << ps;
  ASSERT_EQ(berth_root("-p " + name + " down -v", &ps), 0) << ps;
  EXPECT_EQ(leftovers_after(10), "");
}

TEST_F(Harness, TornDownWhenTheCommandIsKilled) {
  write(kWeb);
  std::string out;
  EXPECT_EQ(harness("-- sh -c 'kill -9 $$'", &out), 137) << out;
  EXPECT_EQ(leftovers(), "");
}

// SIGTERM to berth reaches CMD; berth then takes the project down itself.
TEST_F(Harness, TornDownAfterSigterm) {
  write(kWeb);
  fs::path up = dir_ / "up";
  pid_t pid = spawn("-- sh -c 'echo $BERTH_PROJECT > " + up.string() + "; exec sleep 300'");
  ASSERT_TRUE(wait_for_file(up)) << spawned_output();
  ASSERT_NE(leftovers(), "");
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << spawned_output();
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM) << spawned_output();
  EXPECT_EQ(leftovers_after(5), "") << spawned_output();
}

// SIGKILL of berth's whole process group (berth and CMD, as a CI runner cancels a job): the
// reaper takes the project down within seconds and goes too.
TEST_F(Harness, TornDownAfterSigkill) {
  write(kWeb);
  fs::path up = dir_ / "up";
  pid_t pid = spawn("-- sh -c 'echo $BERTH_PROJECT > " + up.string() + "; exec sleep 300'");
  ASSERT_TRUE(wait_for_file(up)) << spawned_output();
  ASSERT_NE(leftovers(), "");
  auto t = std::chrono::steady_clock::now();
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  EXPECT_EQ(leftovers_after(20), "") << spawned_output();
  std::cerr << "[harness] gone " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count()
            << " s after SIGKILL\n";
}

// Also killed while the project is still coming up.
TEST_F(Harness, TornDownAfterSigkillDuringUp) {
  write(R"(services:
  slow:
    image: berth-examples/busybox:latest
    init: true
    command: ["sh", "-c", "sleep 300"]
    healthcheck:
      test: ["CMD", "test", "-f", "/never"]
      interval: 100ms
      retries: 10000
)");
  pid_t pid = spawn("-- true");
  std::string out;
  for (int i = 0; i < 300 && out.empty(); ++i) {  // until its container exists
    berth_root("container ls -q", &out);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_NE(out, "") << spawned_output();
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  EXPECT_EQ(leftovers_after(20), "") << spawned_output();
}

TEST_F(Harness, ParallelRunsOfOneFileDoNotCollide) {
  write(kWeb);
  std::vector<std::thread> runs;
  std::vector<int> rcs(3, -1);
  std::vector<std::string> outs(3);
  for (int i = 0; i < 3; ++i)
    runs.emplace_back([&, i] {
      rcs[i] = harness("-- sh -c 'curl -sf -m 5 http://$BERTH_PORT_WEB_80/ && echo $BERTH_PORT_WEB_80'", &outs[i]);
    });
  for (auto& t : runs) t.join();
  std::set<std::string> ports;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(rcs[i], 0) << outs[i];
    EXPECT_NE(outs[i].find("hello-harness\n"), std::string::npos) << outs[i];
    auto at = outs[i].find("127.0.0.1:");
    if (at != std::string::npos) ports.insert(outs[i].substr(at, outs[i].find('\n', at) - at));
  }
  EXPECT_EQ(ports.size(), 3u);
  EXPECT_EQ(leftovers(), "");
}

}  // namespace
}  // namespace berth::test
