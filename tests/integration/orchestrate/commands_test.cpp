// The compose commands beyond up/down through the real CLI: create, rm, pause/unpause, top, run,
// events, the volume commands, and one project changed at a time.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/integration/orchestrate/project_fixture.hpp"

namespace berth::test {
namespace {

using Commands = ProjectTest;

constexpr const char* kTwo = R"(services:
  app:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
    environment:
      FROM_FILE: yes
    volumes: ["data:/data", "/anon"]
    depends_on: [db]
  db:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
volumes:
  data: {}
)";

TEST_F(Commands, CreateMakesContainersWithoutStartingThem) {
  write(kTwo);
  std::string out;
  ASSERT_EQ(berth("create", &out), 0) << out;
  EXPECT_EQ(state_of("app"), "created");
  EXPECT_EQ(state_of("db"), "created");
  ASSERT_EQ(berth("start", &out), 0) << out;
  EXPECT_EQ(state_of("app"), "running");
}

TEST_F(Commands, EveryCommandIsKnownWhetherOrNotItIsTheOneNamed) {
  // Only the named command's options are set up; --help and unknown words set up all of them.
  std::string out;
  ASSERT_EQ(berth_root("--help", &out), 0) << out;
  for (const char* c : {"up", "down", "start", "stop", "restart", "kill", "create", "rm", "pause", "unpause", "pull",
                        "run", "ps", "logs", "exec", "port", "ls", "images", "top", "stats", "events", "config", "container",
                        "image", "volume", "login", "logout", "version"})
    EXPECT_NE(out.find("\n  " + std::string(c) + " "), std::string::npos) << c << " missing from:\n" << out;
  EXPECT_EQ(berth_root("nosuch", &out), 1);
  EXPECT_EQ(out, "berth: unknown command \"nosuch\"\nRun 'berth --help' for usage.\n");
  // Global options and their values before the command: `-f up` is a file named "up".
  write(kTwo);
  std::filesystem::copy_file(dir_ / "compose.yaml", dir_ / "up");
  ASSERT_EQ(berth_root("-f " + (dir_ / "up").string() + " --profile=x -p demo config --services", &out), 0) << out;
  EXPECT_EQ(out, "app\ndb\n");
  ASSERT_EQ(berth_root("--file=" + (dir_ / "up").string() + " version", &out), 0) << out;
  EXPECT_EQ(out.rfind("berth version ", 0), 0u) << out;
  // The image command is made by two registrations (image store, registry): both are there.
  ASSERT_EQ(berth_root("image --help", &out), 0) << out;
  EXPECT_NE(out.find("\n  pull "), std::string::npos) << out;
  EXPECT_NE(out.find("\n  ls, list "), std::string::npos) << out;
}

TEST_F(Commands, OutputThatCannotBeWrittenIsOneErrorAndExitOne) {
  write(kTwo);
  std::string out;
  // --services prints short lines that stay in the stdout buffer until the end of the command
  const std::string config = std::string(BERTH_BINARY_DIR) + "/berth --project-directory " + dir_.string() + " config --services";
  EXPECT_EQ(run_command("sh -c " + quote(config + " >/dev/full"), &out), 1);
  EXPECT_EQ(out, "berth: write standard output: No space left on device\n");
  // stderr on a full device too: the exit code still says it
  EXPECT_EQ(run_command("sh -c " + quote(config + " >/dev/full 2>/dev/full"), &out), 1);
  EXPECT_EQ(berth("config --services", &out), 0);
  EXPECT_EQ(out, "app\ndb\n");
}

TEST_F(Commands, RmRemovesOnlyStoppedContainersUnlessStop) {
  write(kTwo);
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  ASSERT_EQ(berth("stop -t 1 db", &out), 0) << out;
  ASSERT_EQ(berth("rm -f", &out), 0) << out;
  EXPECT_EQ(state_of("app"), "running");
  berth("ps -a -q db", &out);
  EXPECT_EQ(out, "") << "the stopped db container should be gone";
  // -s stops first; -v takes the anonymous volume with it, the named one stays
  std::string vols;
  berth("volume ls -q", &vols);
  ASSERT_EQ(std::count(vols.begin(), vols.end(), '\n'), 2) << vols;
  ASSERT_EQ(berth("rm -f -s -v app", &out), 0) << out;
  EXPECT_EQ(ids(), "");
  berth("volume ls -q", &vols);
  EXPECT_EQ(vols, project_ + "_data\n");
}

TEST_F(Commands, PauseFreezesAndUnpauseThaws) {
  write(kTwo);
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  ASSERT_EQ(berth("pause app", &out), 0) << out;
  EXPECT_EQ(state_of("app"), "paused");
  EXPECT_EQ(state_of("db"), "running");
  ASSERT_EQ(berth("unpause", &out), 0) << out;
  EXPECT_EQ(state_of("app"), "running");
  ASSERT_EQ(berth("exec -T app true", &out), 0) << out;
}

TEST_F(Commands, TopListsTheProcesses) {
  write(kTwo);
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  ASSERT_EQ(berth("top app", &out), 0) << out;
  EXPECT_NE(out.find(project_ + "-app-1"), std::string::npos) << out;
  EXPECT_NE(out.find("sleep 300"), std::string::npos) << out;
  EXPECT_EQ(out.find(project_ + "-db-1"), std::string::npos) << out;
}

TEST_F(Commands, StatsShowsTheNamedServicesContainers) {
  write(kTwo);
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  ASSERT_EQ(berth("stats --no-stream --format '{{.Name}} {{.PIDs}}' app", &out), 0) << out;
  // the init and its sleep
  EXPECT_EQ(out, project_ + "-app-1 2\n");
  ASSERT_EQ(berth("stats --no-stream", &out), 0) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3) << "a header and two containers: " << out;
  EXPECT_EQ(out.rfind("CONTAINER ID   NAME", 0), 0u) << out;
  EXPECT_NE(berth("stats --no-stream nosuch", &out), 0);
  EXPECT_NE(out.find("no such service: nosuch"), std::string::npos) << out;
}

TEST_F(Commands, RunIsAOneOffWithOverridesAndItsExitCode) {
  write(kTwo);
  fs::create_directories(dir_ / "host");
  std::ofstream(dir_ / "host" / "f") << "from-host\n";
  std::string out;
  int rc = berth("run --rm -e EXTRA=1 -w /tmp -u 1000 -v ./host:/h:ro app sh -c "
                 "'echo $FROM_FILE $EXTRA $(pwd) $(id -u) $(cat /h/f); exit 7'",
                 &out);
  EXPECT_EQ(rc, 7) << out;
  EXPECT_NE(out.find("yes 1 /tmp 1000 from-host"), std::string::npos) << out;
  // the dependency was started, the one-off removed (--rm), no app replica made
  EXPECT_EQ(state_of("db"), "running");
  berth("ps -a -q app", &out);
  EXPECT_EQ(out, "");
  ASSERT_EQ(berth_root("container ls -a -q", &out), 0);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;

  // --entrypoint, --name, --no-deps, -d; the one-off goes with down
  ASSERT_EQ(berth("stop -t 1 db", &out), 0);
  ASSERT_EQ(berth("run -d --no-deps --name oneoff-x --entrypoint 'sleep' app 300", &out), 0) << out;
  EXPECT_NE(out.find("oneoff-x"), std::string::npos) << out;
  EXPECT_EQ(state_of("db"), "exited");
  ASSERT_EQ(berth_root("container inspect oneoff-x", &out), 0) << out;
  EXPECT_NE(out.find("\"running\""), std::string::npos) << out;
  ASSERT_EQ(berth("down -t 1", &out), 0) << out;
  EXPECT_NE(berth_root("container inspect oneoff-x", &out), 0);

  EXPECT_NE(berth("run nosuch true", &out), 0);
  EXPECT_NE(out.find("no such service: nosuch"), std::string::npos) << out;
}

// As docker compose run: stdin is the one-off's (-i is the default), to its end; -T without a tty.
TEST_F(Commands, RunPassesStdinToTheOneOff) {
  write(kTwo);
  std::ofstream(dir_ / "in.txt") << "a\nb\nc\nd\n";
  std::string out;
  int rc = berth("run --rm --no-deps -T app sh -c 'wc -l; exit 4' < " + quote((dir_ / "in.txt").string()), &out);
  EXPECT_EQ(rc, 4) << out;
  EXPECT_NE(out.find("4\n"), std::string::npos) << out;
}

// As docker compose images: one row per container of the project, with its image.
TEST_F(Commands, ImagesListsTheImagesOfTheProjectsContainers) {
  write(kTwo);
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  ASSERT_EQ(berth("images --format json", &out), 0) << out;
  auto rows = nlohmann::json::parse(out);
  ASSERT_EQ(rows.size(), 2u) << out;
  std::set<std::string> names;
  for (const auto& r : rows) {
    names.insert(r["ContainerName"].get<std::string>());
    EXPECT_EQ(r["ID"].get<std::string>().rfind("sha256:", 0), 0u) << out;
    EXPECT_GT(r["Size"].get<std::int64_t>(), 0) << out;
  }
  EXPECT_EQ(names, (std::set<std::string>{project_ + "-app-1", project_ + "-db-1"})) << out;
  ASSERT_EQ(berth("images db", &out), 0) << out;
  EXPECT_NE(out.find("CONTAINER"), std::string::npos) << out;
  EXPECT_NE(out.find(project_ + "-db-1"), std::string::npos) << out;
  EXPECT_EQ(out.find(project_ + "-app-1"), std::string::npos) << out;
  ASSERT_EQ(berth("down -t 1", &out), 0) << out;
}

TEST_F(Commands, EventsStreamsLifecycleAsJsonLines) {
  write(kTwo);
  std::string log = (dir_ / "events.out").string();
  std::string cmd = std::string(BERTH_BINARY_DIR) + "/berth --root " + quote(root_.string()) + " -p " + project_ +
                    " --project-directory " + quote(dir_.string()) + " events --json db > " + quote(log);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), nullptr);
    ::_exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::string out;
  EXPECT_EQ(berth("up -d db", &out), 0) << out;
  EXPECT_EQ(berth("down -t 1", &out), 0) << out;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  std::ifstream in(log);
  std::vector<std::string> actions;
  for (std::string line; std::getline(in, line);) {
    auto at = line.find("\"action\":\"");
    ASSERT_NE(at, std::string::npos) << line;
    actions.push_back(line.substr(at + 10, line.find('"', at + 10) - at - 10));
    EXPECT_NE(line.find("\"service\":\"db\""), std::string::npos) << line;
  }
  std::vector<std::string> want = {"create", "start", "die", "stop", "destroy"};
  EXPECT_EQ(actions, want);
}

TEST_F(Commands, VolumeCommands) {
  write(kTwo);
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  std::string named = project_ + "_data";
  ASSERT_EQ(berth("volume inspect " + named, &out), 0) << out;
  EXPECT_NE(out.find("\"Mountpoint\": \"" + (root_ / "volumes" / named / "_data").string() + "\""), std::string::npos) << out;
  // in use: refused, and nothing removed
  EXPECT_NE(berth("volume rm " + named, &out), 0);
  EXPECT_NE(out.find("volume " + named + " is in use by container(s) " + project_ + "-app-1"), std::string::npos) << out;
  ASSERT_EQ(berth("volume create --label team=x spare", &out), 0) << out;
  ASSERT_EQ(berth("volume ls -q --filter label=team=x", &out), 0) << out;
  EXPECT_EQ(out, "spare\n");
  ASSERT_EQ(berth("volume ls -q --filter dangling=true", &out), 0) << out;
  EXPECT_EQ(out, "spare\n");
  // prune takes unused anonymous volumes only; -a unused named ones too
  ASSERT_EQ(berth("down -t 1", &out), 0) << out;
  ASSERT_EQ(berth("volume ls -q", &out), 0) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3) << out;  // data, spare, the anonymous one
  ASSERT_EQ(berth("volume prune -f", &out), 0) << out;
  ASSERT_EQ(berth("volume ls -q", &out), 0) << out;
  EXPECT_EQ(out, "spare\n" + named + "\n");  // sorted by name
  ASSERT_EQ(berth("volume rm spare", &out), 0) << out;
  EXPECT_NE(berth("volume rm spare", &out), 0);
  EXPECT_NE(out.find("no such volume: spare"), std::string::npos) << out;
  ASSERT_EQ(berth("volume prune -a -f", &out), 0) << out;
  ASSERT_EQ(berth("volume ls -q", &out), 0) << out;
  EXPECT_EQ(out, "");
}

// Two `up`s of the same project at once: the lock makes the second wait, and no container is
// made twice.
TEST_F(Commands, ConcurrentUpsMakeEachContainerOnce) {
  write(kTwo);
  std::string out1, out2;
  int rc1 = 0, rc2 = 0;
  std::thread a([&] { rc1 = berth("up -d", &out1); });
  std::thread b([&] { rc2 = berth("up -d", &out2); });
  a.join();
  b.join();
  EXPECT_EQ(rc1, 0) << out1;
  EXPECT_EQ(rc2, 0) << out2;
  std::string all;
  ASSERT_EQ(berth_root("container ls -a -q", &all), 0);
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 2) << all;
}

// berth killed with SIGKILL in the middle of `up`: the next `up` converges and `down` cleans.
TEST_F(Commands, KilledUpConvergesOnTheNextUp) {
  std::string yaml = "services:\n";
  for (int i = 0; i < 8; ++i)
    yaml += "  s" + std::to_string(i) + ":\n    image: berth-examples/busybox:latest\n    command: [\"sleep\", \"300\"]\n";
  write(yaml);
  std::string cmd = std::string(BERTH_BINARY_DIR) + "/berth --root " + quote(root_.string()) + " -p " + project_ +
                    " --project-directory " + quote(dir_.string()) + " up -d";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + cmd + " >/dev/null 2>&1").c_str(), nullptr);
    ::_exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  ASSERT_EQ(berth("ps -q", &out), 0) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 8) << out;
  ASSERT_EQ(berth("down -t 1", &out), 0) << out;
  EXPECT_EQ(ids(), "");
}

}  // namespace
}  // namespace berth::test
