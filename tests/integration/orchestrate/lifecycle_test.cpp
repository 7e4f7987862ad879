// Lifecycle behaviours a docker compose user's scripts rely on (issue 18): exec's stdin and
// environment, what a failed up leaves, dependency waits of run and start, stop/kill of a
// restarting container, foreground up of some services, down across profiles, project names.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/orchestrate/project_fixture.hpp"

namespace berth::test {
namespace {

class Lifecycle : public ProjectTest {
 protected:
  // The berth command line of this project, for shell pipelines.
  std::string cli(const std::string& args) const {
    return std::string(BERTH_BINARY_DIR) + "/berth --root " + quote(root_.string()) + " -p " + project_ +
           " --project-directory " + quote(dir_.string()) + " " + args;
  }
  static std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  int sh(const std::string& script, std::string* out) { return run_command("sh -c " + shq(script), out); }
  static std::string shq(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  }
};

TEST_F(Lifecycle, ExecKeepsStdinPassesHostEnvTermLimitsAndDetaches) {
  write(R"(services:
  web:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
    oom_score_adj: 300
    ulimits:
      nofile: {soft: 1234, hard: 2345}
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  // -T keeps stdin (compose's -i defaults to true): `exec -T db psql < dump.sql` reads the dump
  ASSERT_EQ(sh("echo abc | " + cli("exec -T web cat"), &out), 0) << out;
  EXPECT_EQ(out, "abc\n");
  ASSERT_EQ(sh("echo abc | " + cli("exec -T --interactive=false web cat"), &out), 0) << out;
  EXPECT_EQ(out, "");
  // -e KEY: this environment's value; an unset one is not passed at all
  ASSERT_EQ(sh("unset NOPE; FOO=hostval " + cli("exec -T -e FOO -e NOPE web sh -c 'echo $FOO ${NOPE-unset}'"), &out), 0);
  EXPECT_EQ(out, "hostval unset\n");
  // the exec'd process has the service's oom_score_adj and ulimits, as PID 1 has
  ASSERT_EQ(berth("exec -T web sh -c 'cat /proc/self/oom_score_adj; ulimit -n'", &out), 0) << out;
  EXPECT_EQ(out, "300\n1234\n");
  // a terminal exec gets TERM (script(1) gives berth a terminal)
  ASSERT_EQ(sh("script -qec " + shq(cli("exec web sh -c 'echo TERM=$TERM'")) + " /dev/null </dev/null", &out), 0);
  EXPECT_NE(out.find("TERM=xterm"), std::string::npos) << out;
  // -d returns at once; the command goes on in the background
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(berth("exec -d web sh -c 'sleep 1; touch /tmp/done'", &out), 0) << out;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
  EXPECT_NE(berth("exec -T web test -e /tmp/done", &out), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(berth("exec -T web test -e /tmp/done", &out), 0) << out;
}

TEST_F(Lifecycle, FailedUpLeavesItsContainersForLogs) {
  write(R"(services:
  db:
    image: berth-examples/busybox:latest
    init: true
    command: ["sh", "-c", "echo db-says-hello; exec sleep 300"]
    healthcheck: {test: ["CMD", "false"], interval: 100ms, retries: 1}
  app:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
    depends_on: {db: {condition: service_healthy}}
  migrate:
    image: berth-examples/busybox:latest
    command: ["sh", "-c", "echo migration-failed; exit 3"]
  web:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
    depends_on: {migrate: {condition: service_completed_successfully}}
)");
  std::string out;
  EXPECT_NE(berth("up -d", &out), 0);
  // (whichever failure comes first is the one reported)
  EXPECT_TRUE(out.find("unhealthy") != std::string::npos || out.find("exit 3") != std::string::npos) << out;
  // every container is still there: the logs say why, the dependents were made but not started
  ASSERT_EQ(berth("logs db migrate", &out), 0) << out;
  EXPECT_NE(out.find("db-says-hello"), std::string::npos) << out;
  EXPECT_NE(out.find("migration-failed"), std::string::npos) << out;
  EXPECT_EQ(state_of("db"), "running");
  EXPECT_EQ(state_of("migrate"), "exited");
  EXPECT_EQ(state_of("app"), "created");
  EXPECT_EQ(state_of("web"), "created");
}

TEST_F(Lifecycle, RunAndStartWaitForDependencyConditionsAsUp) {
  // db is healthy one second after each start, when it has (re)written the flag
  write(R"(services:
  db:
    image: berth-examples/busybox:latest
    init: true
    volumes: ["data:/data"]
    command: ["sh", "-c", "rm -f /data/flag; sleep 1; echo ready > /data/flag; exec sleep 300"]
    healthcheck: {test: ["CMD", "test", "-e", "/data/flag"], interval: 100ms, retries: 100}
  app:
    image: berth-examples/busybox:latest
    init: true
    volumes: ["data:/data"]
    command: ["sh", "-c", "cat /data/flag > /data/seen; exec sleep 300"]
    depends_on: {db: {condition: service_healthy}}
volumes:
  data:
)");
  std::string out;
  // run starts db and waits until it is healthy before the one-off starts
  ASSERT_EQ(berth("run --rm -T app cat /data/flag", &out), 0) << out;
  EXPECT_NE(out.find("ready\n"), std::string::npos) << out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  ASSERT_EQ(berth("stop", &out), 0) << out;
  // start brings db up first and starts app only once db is healthy again
  ASSERT_EQ(berth("start", &out), 0) << out;
  ASSERT_EQ(berth("exec -T app cat /data/seen", &out), 0) << out;
  EXPECT_EQ(out, "ready\n");
}

TEST_F(Lifecycle, StopAndKillEndACrashLoopRestartTakesRestartDependents) {
  write(R"(services:
  crash:
    image: berth-examples/busybox:latest
    command: ["sh", "-c", "exit 1"]
    restart: always
  db:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
  app:
    image: berth-examples/busybox:latest
    init: true
    volumes: ["data:/data"]
    command: ["sh", "-c", "echo x >> /data/app; exec sleep 300"]
    depends_on: {db: {condition: service_started, restart: true}}
  other:
    image: berth-examples/busybox:latest
    init: true
    volumes: ["data:/data"]
    command: ["sh", "-c", "echo x >> /data/other; exec sleep 300"]
    depends_on: [db]
volumes:
  data:
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  // the crash loop spends its time "restarting": stop ends it there, and it stays stopped
  for (const char* cmd : {"stop crash", "kill crash"}) {
    ASSERT_EQ(berth("start crash", &out), 0) << out;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ASSERT_EQ(berth(cmd, &out), 0) << out;
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(state_of("crash"), "exited") << cmd;
  }
  // restart db restarts app (depends_on restart: true) after it, and not other
  ASSERT_EQ(berth("restart db", &out), 0) << out;
  ASSERT_EQ(berth("exec -T db sh -c 'true'", &out), 0) << out;
  ASSERT_EQ(berth("exec -T app sh -c 'wc -l < /data/app; wc -l < /data/other'", &out), 0) << out;
  EXPECT_EQ(out, "2\n1\n");
}

TEST_F(Lifecycle, ForegroundUpOfSomeServicesAttachesAndStopsOnlyThoseSecondCtrlCKills) {
  write(R"(services:
  db:
    image: berth-examples/busybox:latest
    init: true
    command: ["sh", "-c", "echo db-line; exec sleep 300"]
  web:
    image: berth-examples/busybox:latest
    depends_on: [db]
    command: ["sh", "-c", "echo web-line; while :; do sleep 0.1; done"]
  side:
    image: berth-examples/busybox:latest
    init: true
    attach: false
    command: ["sh", "-c", "echo side-line; exec sleep 300"]
)");
  const std::string log = (dir_ / "up.log").string();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + cli("up web side") + " >" + log + " 2>&1").c_str(), nullptr);
    ::_exit(127);
  }
  std::string out;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < until && (state_of("web") != "running" || state_of("side") != "running" ||
                                                       read_file(log).find("web-line") == std::string::npos))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // web ignores SIGTERM (PID 1 without a handler): the first Ctrl-C waits for its grace period,
  // the second kills it
  ::kill(pid, SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ::kill(pid, SIGINT);
  int status = 0;
  auto t0 = std::chrono::steady_clock::now();
  while (::waitpid(pid, &status, WNOHANG) == 0 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(8))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (std::chrono::steady_clock::now() - t0 >= std::chrono::seconds(8)) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    ADD_FAILURE() << "up did not end after the second Ctrl-C";
  }
  std::string text = read_file(log);
  EXPECT_TRUE(WIFEXITED(status)) << text;
  EXPECT_EQ(text.find("terminate called"), std::string::npos) << text;
  // only the asked-for services' output, and not that of an attach: false one
  EXPECT_NE(text.find("web-line"), std::string::npos) << text;
  EXPECT_EQ(text.find("side-line"), std::string::npos) << text;
  EXPECT_EQ(text.find("db-line"), std::string::npos) << text;
  // only the asked-for services were stopped
  EXPECT_EQ(state_of("web"), "exited");
  EXPECT_EQ(state_of("side"), "exited");
  EXPECT_EQ(state_of("db"), "running");
}

TEST_F(Lifecycle, DownWithoutProfileRemovesEveryProfilesContainers) {
  write(R"(services:
  web:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
  tool:
    image: berth-examples/busybox:latest
    init: true
    profiles: [tools]
    command: ["sleep", "300"]
)");
  std::string out;
  ASSERT_EQ(berth("--profile tools up -d", &out), 0) << out;
  EXPECT_EQ(state_of("tool"), "running");
  ASSERT_EQ(berth("down -t 1", &out), 0) << out;
  EXPECT_EQ(ids(), "");
  ASSERT_EQ(berth_root("container ls -a", &out), 0) << out;
  EXPECT_EQ(out.find(project_ + "-tool"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(root_ / "networks" / (project_ + "_default.json")));
}

TEST_F(Lifecycle, UpNoDepsDoesNotWaitOnAStoppedDependency) {
  write(R"(services:
  db:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
    healthcheck: {test: ["CMD", "true"], interval: 100ms}
  app:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
    depends_on: {db: {condition: service_healthy}}
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  ASSERT_EQ(berth("stop -t 1", &out), 0) << out;
  ASSERT_EQ(berth("up -d --no-deps app", &out), 0) << out;
  EXPECT_EQ(state_of("app"), "running");
  EXPECT_EQ(state_of("db"), "exited");
}

TEST_F(Lifecycle, ProjectNameFromEnvironmentWinsAndLabelsServeWithoutAFile) {
  write(R"(name: fromfile
services:
  web:
    image: berth-examples/busybox:latest
    init: true
    environment:
      NAME_IS: ${COMPOSE_PROJECT_NAME}
    command: ["sh", "-c", "echo hello-from-web; exec sleep 300"]
)");
  const std::string base = std::string(BERTH_BINARY_DIR) + "/berth --root " + quote(root_.string());
  std::string out;
  // COMPOSE_PROJECT_NAME beats name:, and interpolates to the name
  ASSERT_EQ(sh("COMPOSE_PROJECT_NAME=" + project_ + " " + base + " --project-directory " + quote(dir_.string()) + " up -d", &out), 0)
      << out;
  ASSERT_EQ(berth("exec -T web sh -c 'echo $NAME_IS'", &out), 0) << out;
  EXPECT_EQ(out, project_ + "\n");
  // the file's name: interpolates too when it names the project
  ASSERT_EQ(sh(base + " --project-directory " + quote(dir_.string()) + " config", &out), 0) << out;
  EXPECT_NE(out.find("NAME_IS: fromfile"), std::string::npos) << out;
  // -p NAME from a directory with no project file: ps, logs, stop, rm and down from the labels
  // (outside dir_: a file in a parent directory would be found)
  char tmpl[] = "/tmp/berth-nofile-XXXXXX";
  const fs::path empty = ::mkdtemp(tmpl);
  const std::string bare = "cd " + quote(empty.string()) + " && " + base + " -p " + project_ + " ";
  ASSERT_EQ(sh(bare + "ps", &out), 0) << out;
  EXPECT_NE(out.find(project_ + "-web-1"), std::string::npos) << out;
  ASSERT_EQ(sh(bare + "logs", &out), 0) << out;
  EXPECT_NE(out.find("hello-from-web"), std::string::npos) << out;
  ASSERT_EQ(sh(bare + "stop -t 1", &out), 0) << out;
  EXPECT_EQ(state_of("web"), "exited");
  ASSERT_EQ(sh(bare + "down", &out), 0) << out;
  ASSERT_EQ(berth_root("container ls -a", &out), 0) << out;
  EXPECT_EQ(out.find(project_), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(root_ / "networks" / (project_ + "_default.json")));
  // and a project file is still required for what needs one
  EXPECT_NE(sh(bare + "up -d", &out), 0);
  EXPECT_NE(out.find("no configuration file provided"), std::string::npos) << out;
  fs::remove_all(empty);
}

TEST_F(Lifecycle, DetachedRunRmIsRemovedOnExitAndOneOffsAreInPs) {
  write(R"(services:
  web:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
)");
  std::string out, kept, gone;
  ASSERT_EQ(berth("run -d web sh -c 'exit 0'", &kept), 0) << kept;
  ASSERT_EQ(berth("run -d --rm web sleep 1", &gone), 0) << gone;
  // the name is the last line (progress lines come before it, on stderr)
  auto last_line = [](std::string t) {
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return t.substr(t.rfind('\n') + 1);
  };
  kept = last_line(kept);
  gone = last_line(gone);
  ASSERT_NE(kept.find("-web-run-"), std::string::npos) << kept;
  // one-off containers are listed, as compose lists them
  ASSERT_EQ(berth("ps", &out), 0) << out;
  EXPECT_NE(out.find(gone), std::string::npos) << out;
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  ASSERT_EQ(berth("ps -a", &out), 0) << out;
  EXPECT_NE(out.find(kept), std::string::npos) << out;
  // --rm: gone once it exited, also when detached
  EXPECT_EQ(out.find(gone), std::string::npos) << out;
  ASSERT_EQ(berth_root("container ls -a", &out), 0) << out;
  EXPECT_EQ(out.find(gone), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::test
