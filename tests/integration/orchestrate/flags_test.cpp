// docker compose v2's flags that scripts use, accepted and honoured (issue 18): up's --pull,
// --quiet-pull, --timestamps, -V, --always-recreate-deps, --attach-dependencies, -y,
// --no-log-prefix, --menu; run's --use-aliases, --cap-add, --cap-drop, --pull; the global --ansi
// and --dry-run; kill -s NAME; restart --no-deps; start --wait; the COMPOSE_* variables.
#include <cstdlib>
#include <regex>

#include "tests/integration/orchestrate/project_fixture.hpp"

namespace berth::test {
namespace {

class Flags : public ProjectTest {
 protected:
  // berth with `env` (VAR=value ...) in its environment
  int berth_env(const std::string& env, const std::string& args, std::string* out = nullptr) {
    std::string cmd = "env " + env + " " + std::string(BERTH_BINARY_DIR) + "/berth --root " + quote(root_.string()) +
                      " -p " + project_ + " --project-directory " + quote(dir_.string()) + " " + args;
    std::string local;
    return run_command(cmd, out ? out : &local);
  }
  int count(const std::string& text, const std::string& what) {
    int n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }
  // the CapEff mask of `run` with `flags`
  unsigned long long cap_eff(const std::string& flags) {
    std::string out;
    EXPECT_EQ(berth("run --rm -T " + flags + " one grep CapEff /proc/self/status", &out), 0) << out;
    auto at = out.find("CapEff:");
    return at == std::string::npos ? 0 : std::strtoull(out.c_str() + at + 7, nullptr, 16);
  }
};

constexpr const char* kLongRunning = R"(
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
)";

TEST_F(Flags, UpAcceptsComposeFlagsScriptsUse) {
  write(std::string("services:\n  web:") + kLongRunning);
  std::string out;
  ASSERT_EQ(berth("up -d -y --quiet-pull --menu=false --always-recreate-deps --pull missing", &out), 0) << out;
  EXPECT_EQ(state_of("web"), "running");
  ASSERT_EQ(berth("up -d --menu --yes --timestamps --attach-dependencies", &out), 0) << out;
  // --pull is checked as compose checks it
  EXPECT_NE(berth("up -d --pull sometimes", &out), 0);
}

TEST_F(Flags, UpPullNeverRefusesAMissingImageAndPullReplacesPullPolicy) {
  write(R"(services:
  web:
    image: berth-examples/not-here:1
    pull_policy: always
)");
  std::string out;
  EXPECT_NE(berth("up -d --pull never", &out), 0);
  EXPECT_NE(out.find("--pull is never"), std::string::npos) << out;  // not a pull attempt
  EXPECT_EQ(ids(), "");
}

TEST_F(Flags, UpNoLogPrefixAndTimestamps) {
  write(R"(services:
  one:
    image: berth-examples/busybox:latest
    command: ["echo", "hello-out"]
)");
  std::string out;
  ASSERT_EQ(berth("up --no-log-prefix", &out), 0) << out;
  EXPECT_NE(out.find("\nhello-out\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("|"), std::string::npos) << out;
  ASSERT_EQ(berth("up --force-recreate --timestamps --no-color", &out), 0) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(one-1 +\| 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d[^ ]* hello-out)"))) << out;
}

TEST_F(Flags, UpAttachDependenciesShowsTheirOutput) {
  write(R"(services:
  dep:
    image: berth-examples/busybox:latest
    command: ["echo", "from-dep"]
  app:
    image: berth-examples/busybox:latest
    command: ["echo", "from-app"]
    depends_on: {dep: {condition: service_completed_successfully}}
)");
  std::string out;
  ASSERT_EQ(berth("up app", &out), 0) << out;
  EXPECT_NE(out.find("from-app"), std::string::npos) << out;
  EXPECT_EQ(out.find("from-dep"), std::string::npos) << out;
  ASSERT_EQ(berth("up --force-recreate --attach-dependencies app", &out), 0) << out;
  EXPECT_NE(out.find("from-app"), std::string::npos) << out;
  EXPECT_NE(out.find("from-dep"), std::string::npos) << out;
}

TEST_F(Flags, UpRenewAnonVolumesStartsFromAFreshVolume) {
  write(R"(services:
  web:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
    volumes: ["/data"]
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  ASSERT_EQ(berth("exec -T web sh -c 'echo kept > /data/mark'", &out), 0) << out;
  ASSERT_EQ(berth("up -d --force-recreate -t 1", &out), 0) << out;
  ASSERT_EQ(berth("exec -T web cat /data/mark", &out), 0) << out;  // the anonymous volume follows
  EXPECT_EQ(out, "kept\n");
  ASSERT_EQ(berth("up -d --force-recreate -t 1 -V", &out), 0) << out;
  EXPECT_NE(berth("exec -T web cat /data/mark", &out), 0) << out;  // -V: a new one
  ASSERT_EQ(berth_root("volume ls -q", &out), 0) << out;
  EXPECT_EQ(count(out, "\n"), 1) << out;  // and the old one went with its container
}

TEST_F(Flags, UpAlwaysRecreateDepsRecreatesDependencies) {
  write(std::string("services:\n  db:") + kLongRunning + "  web:" + kLongRunning + "    depends_on: [db]\n");
  std::string db, again;
  ASSERT_EQ(berth("up -d", &db), 0) << db;
  ASSERT_EQ(berth("ps -q db", &db), 0) << db;
  ASSERT_EQ(berth("up -d --force-recreate -t 1 web", &again), 0) << again;
  ASSERT_EQ(berth("ps -q db", &again), 0) << again;
  EXPECT_EQ(again, db);  // a dependency not named is kept
  ASSERT_EQ(berth("up -d --always-recreate-deps -t 1 web", &again), 0) << again;
  ASSERT_EQ(berth("ps -q db", &again), 0) << again;
  EXPECT_NE(again, db);
  EXPECT_EQ(state_of("db"), "running");
}

TEST_F(Flags, RunUseAliasesCapAddCapDropAndPull) {
  write(R"(services:
  web:
    image: berth-examples/busybox:latest
    networks: {default: {aliases: [webalias]}}
  one:
    image: berth-examples/busybox:latest
  gone:
    image: berth-examples/not-here:1
)");
  std::string out;
  // without --use-aliases a one-off is known by its container name only (as compose)
  ASSERT_EQ(berth("run -d --no-deps --name plain web sleep 300", &out), 0) << out;
  berth("run --rm -T --no-deps one ping -c 1 -W 1 webalias", &out);
  EXPECT_EQ(out.find("PING webalias ("), std::string::npos) << out;
  ASSERT_EQ(berth("run -d --no-deps --use-aliases --name aliased web sleep 300", &out), 0) << out;
  berth("run --rm -T --no-deps one ping -c 1 -W 1 webalias", &out);
  EXPECT_NE(out.find("PING webalias ("), std::string::npos) << out;

  const unsigned long long chown = 1ull << 0, sys_admin = 1ull << 21;
  unsigned long long base = cap_eff("");
  EXPECT_TRUE(base & chown);
  EXPECT_FALSE(base & sys_admin);
  EXPECT_FALSE(cap_eff("--cap-drop CHOWN") & chown);
  EXPECT_TRUE(cap_eff("--cap-add SYS_ADMIN") & sys_admin);

  EXPECT_NE(berth("run --rm -T --pull never gone true", &out), 0);
  EXPECT_NE(out.find("--pull is never"), std::string::npos) << out;
}

TEST_F(Flags, AnsiChoosesControlCharacters) {
  write(std::string("services:\n  web:") + kLongRunning);
  std::string out;
  ASSERT_EQ(berth("--ansi always up -d", &out), 0) << out;
  EXPECT_NE(out.find("\033["), std::string::npos) << out;  // the live display though not a terminal
  ASSERT_EQ(berth("--ansi never up -d --force-recreate -t 1", &out), 0) << out;
  EXPECT_EQ(out.find("\033["), std::string::npos) << out;
  ASSERT_EQ(berth_env("COMPOSE_ANSI=always", "up -d --force-recreate -t 1", &out), 0) << out;
  EXPECT_NE(out.find("\033["), std::string::npos) << out;
  ASSERT_EQ(berth("--ansi auto stop -t 1", &out), 0) << out;
  EXPECT_NE(berth("--ansi sometimes ps", &out), 0);
  EXPECT_NE(berth_env("COMPOSE_ANSI=sometimes", "ps", &out), 0);
  EXPECT_NE(out.find("COMPOSE_ANSI"), std::string::npos) << out;
}

TEST_F(Flags, DryRunPrintsThePlanAndChangesNothing) {
  write(std::string("services:\n  web:") + kLongRunning + "  other:" + kLongRunning);
  const std::string web = project_ + "-web-1";
  std::string out;
  ASSERT_EQ(berth("--dry-run up -d", &out), 0) << out;
  EXPECT_NE(out.find("DRY-RUN MODE -  Network " + project_ + "_default"), std::string::npos) << out;
  EXPECT_NE(out.find("DRY-RUN MODE -  Container " + web), std::string::npos) << out;
  EXPECT_EQ(ids(), "");
  ASSERT_EQ(berth("up --dry-run -d", &out), 0) << out;  // after the command too, as compose
  ASSERT_EQ(berth("--dry-run create", &out), 0) << out;
  EXPECT_EQ(ids(), "");

  ASSERT_EQ(berth("up -d", &out), 0) << out;
  const std::string before = ids();
  for (const char* cmd : {"stop web", "kill -s TERM", "restart", "rm -s -f", "down -v", "pull"}) {
    ASSERT_EQ(berth(std::string("--dry-run ") + cmd, &out), 0) << cmd << ": " << out;
    const std::string object = std::string(cmd) == "pull" ? "Image " : "Container " + web;
    EXPECT_NE(out.find("DRY-RUN MODE -  " + object), std::string::npos) << cmd << ": " << out;
    EXPECT_EQ(state_of("web"), "running") << cmd;
    EXPECT_EQ(ids(), before) << cmd;
  }
  ASSERT_EQ(berth("stop -t 1 web", &out), 0) << out;
  ASSERT_EQ(berth("--dry-run start", &out), 0) << out;
  EXPECT_NE(out.find("DRY-RUN MODE -  Container " + web), std::string::npos) << out;
  EXPECT_EQ(state_of("web"), "exited");
  // a command without a dry run says so instead of doing it
  EXPECT_NE(berth("--dry-run exec -T other touch /x", &out), 0);
  EXPECT_NE(out.find("--dry-run is not supported"), std::string::npos) << out;
}

TEST_F(Flags, KillTakesAnySignalName) {
  // PID 1 gets the signal: it exits 42 on SIGQUIT (no core dump to anyone)
  write(R"(services:
  web:
    image: berth-examples/busybox:latest
    command: ["sh", "-c", "trap 'exit 42' QUIT; trap 'exit 0' TERM; while :; do sleep 0.1; done"]
)");
  std::string out;
  for (const char* sig : {"SIGQUIT", "QUIT", "3", "quit"}) {
    ASSERT_EQ(berth("up -d", &out), 0) << out;
    ASSERT_EQ(berth(std::string("kill -s ") + sig, &out), 0) << sig << ": " << out;
    for (int i = 0; i < 100 && state_of("web") != "exited"; ++i) ::usleep(50 * 1000);
    ASSERT_EQ(berth("ps -a --format json", &out), 0);
    EXPECT_NE(out.find("\"ExitCode\":42"), std::string::npos) << sig << ": " << out;
  }
  EXPECT_NE(berth("kill -s SIGNOPE", &out), 0);
  EXPECT_NE(out.find("invalid signal \"SIGNOPE\""), std::string::npos) << out;
}

TEST_F(Flags, RestartNoDepsLeavesRestartDependents) {
  write(R"(services:
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
volumes:
  data:
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  ASSERT_EQ(berth("restart -t 1 --no-deps db", &out), 0) << out;
  ASSERT_EQ(berth("exec -T app cat /data/app", &out), 0) << out;
  EXPECT_EQ(out, "x\n");  // app was not restarted
  ASSERT_EQ(berth("restart -t 1 db", &out), 0) << out;
  ASSERT_EQ(berth("exec -T app cat /data/app", &out), 0) << out;
  EXPECT_EQ(out, "x\nx\n");  // without --no-deps it is, as compose
}

TEST_F(Flags, StartWaitReturnsOnceHealthy) {
  write(R"(services:
  db:
    image: berth-examples/busybox:latest
    init: true
    command: ["sh", "-c", "sleep 1; touch /tmp/ok; exec sleep 300"]
    healthcheck: {test: ["CMD", "test", "-e", "/tmp/ok"], interval: 100ms, retries: 100}
)");
  std::string out;
  ASSERT_EQ(berth("create", &out), 0) << out;
  ASSERT_EQ(berth("start --wait --wait-timeout 30 db", &out), 0) << out;
  ASSERT_EQ(berth("ps --format json", &out), 0) << out;
  EXPECT_NE(out.find("\"Health\":\"healthy\""), std::string::npos) << out;
}

TEST_F(Flags, ComposeEnvironmentVariables) {
  write(R"(services:
  web:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
    environment: {MSG: "${MSG:-unset}"}
  old:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
)");
  std::ofstream(dir_ / ".env") << "MSG=from-dotenv\n";
  std::ofstream(dir_ / "a.env") << "MSG=from-a\n";
  std::string out;
  ASSERT_EQ(berth_env("COMPOSE_ENV_FILES=" + (dir_ / "a.env").string(), "config", &out), 0) << out;
  EXPECT_NE(out.find("from-a"), std::string::npos) << out;
  ASSERT_EQ(berth_env("COMPOSE_DISABLE_ENV_FILE=true", "config", &out), 0) << out;
  EXPECT_EQ(out.find("from-dotenv"), std::string::npos) << out;
  EXPECT_NE(out.find("unset"), std::string::npos) << out;
  ASSERT_EQ(berth("config", &out), 0) << out;
  EXPECT_NE(out.find("from-dotenv"), std::string::npos) << out;

  ASSERT_EQ(berth_env("COMPOSE_PROGRESS=quiet COMPOSE_MENU=false COMPOSE_PARALLEL_LIMIT=1", "up -d", &out), 0) << out;
  EXPECT_EQ(out.find("Container"), std::string::npos) << out;  // quiet
  EXPECT_NE(berth_env("COMPOSE_PARALLEL_LIMIT=lots", "up -d", &out), 0);
  EXPECT_NE(out.find("COMPOSE_PARALLEL_LIMIT"), std::string::npos) << out;
  EXPECT_NE(berth_env("COMPOSE_MENU=maybe", "up -d", &out), 0);

  // `old` leaves the file: an orphan, kept with a warning, silently, or removed
  write(R"(services:
  web:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
    environment: {MSG: "${MSG:-unset}"}
)");
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  EXPECT_NE(out.find("orphan"), std::string::npos) << out;
  ASSERT_EQ(berth_env("COMPOSE_IGNORE_ORPHANS=1", "up -d", &out), 0) << out;
  EXPECT_EQ(out.find("orphan"), std::string::npos) << out;
  ASSERT_EQ(berth_env("COMPOSE_REMOVE_ORPHANS=true", "up -d -t 1", &out), 0) << out;
  EXPECT_NE(out.find(project_ + "-old-1"), std::string::npos) << out;
  ASSERT_EQ(berth("ps -a -q", &out), 0) << out;
  EXPECT_EQ(count(out, "\n"), 1) << out;
}

}  // namespace
}  // namespace berth::test
