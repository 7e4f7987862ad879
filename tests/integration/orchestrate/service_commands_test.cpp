// The compose commands berth gained for issue 18 through the real CLI: wait, scale, volumes,
// attach and push (the last against Debian's docker-registry on loopback).
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/integration/orchestrate/project_fixture.hpp"

namespace berth::test {
namespace {

long lines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

class Cmd : public ProjectTest {
 protected:
  // "running", "exited" ... of one container, by name
  std::string status(const std::string& container) {
    std::string out;
    berth_root("container inspect " + container, &out);
    auto at = out.find("\"Status\"");
    if (at == std::string::npos) return out;
    auto q1 = out.find('"', out.find(':', at) + 1);
    return out.substr(q1 + 1, out.find('"', q1 + 1) - q1 - 1);
  }
  std::string name(const std::string& service, int n = 1) { return project_ + "-" + service + "-" + std::to_string(n); }
  // berth's command line for `sh -c` strings (the fixture's own flags).
  std::string cli() {
    return std::string(BERTH_BINARY_DIR) + "/berth --root " + quote(root_.string()) + " -p " + project_ +
           " --project-directory " + quote(dir_.string());
  }
};

TEST_F(Cmd, TheCommandsAreListed) {
  std::string out;
  ASSERT_EQ(berth_root("--help", &out), 0) << out;
  for (const char* c : {"wait", "scale", "attach", "push", "volumes", "stats"})
    EXPECT_NE(out.find("\n  " + std::string(c) + " "), std::string::npos) << c << " missing from:\n" << out;
}

// ---- wait --------------------------------------------------------------------------------------

TEST_F(Cmd, WaitBlocksUntilTheServicesStopAndExitsWithTheirCode) {
  write(R"(services:
  job:
    image: berth-examples/busybox:latest
    command: ["sh", "-c", "sleep 2; exit 3"]
  other:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  EXPECT_EQ(status(name("job")), "running");
  EXPECT_EQ(berth("wait job", &out), 3) << out;
  EXPECT_NE(out.find("exited with status code 3\n"), std::string::npos) << out;
  EXPECT_EQ(status(name("job")), "exited");
  EXPECT_EQ(status(name("other")), "running");  // not waited for, left alone
  EXPECT_EQ(berth("wait nosuch", &out), 1);
  EXPECT_NE(out.find("no such service: nosuch"), std::string::npos) << out;
  EXPECT_EQ(berth("wait job", &out), 1);  // nothing of it runs any more
  EXPECT_NE(out.find("no containers for project"), std::string::npos) << out;
}

TEST_F(Cmd, WaitDownProjectRemovesTheProjectOnceTheyStop) {
  write(R"(services:
  job:
    image: berth-examples/busybox:latest
    command: ["sh", "-c", "sleep 1; exit 0"]
  other:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  EXPECT_EQ(berth("wait --down-project job", &out), 0) << out;
  EXPECT_NE(out.find("exited with status code 0"), std::string::npos) << out;
  EXPECT_EQ(ids(), "");  // every container of the project is gone, the running one too
}

// ---- scale -------------------------------------------------------------------------------------

constexpr const char* kWebDb = R"(services:
  web:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
    depends_on: [db]
  db:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
)";

TEST_F(Cmd, ScaleSetsTheReplicasAndStartsDependencies) {
  write(kWebDb);
  std::string out;
  ASSERT_EQ(berth("scale web=3", &out), 0) << out;
  berth("ps -q web", &out);
  EXPECT_EQ(lines(out), 3) << out;
  EXPECT_EQ(status(name("db")), "running");
  ASSERT_EQ(berth("scale web=1", &out), 0) << out;
  berth("ps -a -q web", &out);
  EXPECT_EQ(lines(out), 1) << out;
  EXPECT_EQ(status(name("web")), "running");
  EXPECT_EQ(berth("scale web", &out), 1);
  EXPECT_NE(out.find("invalid scale specifier \"web\""), std::string::npos) << out;
  EXPECT_EQ(berth("scale nosuch=2", &out), 1);
  EXPECT_NE(out.find("no such service: nosuch"), std::string::npos) << out;
}

TEST_F(Cmd, ScaleNoDepsLeavesDependenciesAlone) {
  write(kWebDb);
  std::string out;
  ASSERT_EQ(berth("scale --no-deps web=2", &out), 0) << out;
  berth("ps -q web", &out);
  EXPECT_EQ(lines(out), 2) << out;
  berth("ps -a -q db", &out);
  EXPECT_EQ(out, "");
}

// ---- volumes -----------------------------------------------------------------------------------

TEST_F(Cmd, VolumesListsTheProjectsVolumes) {
  write(R"(services:
  app:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
    volumes: ["data:/data", "/anon"]
  db:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
    volumes: ["dbdata:/var/lib/db"]
volumes:
  data: {}
  dbdata: {}
)");
  std::string out;
  ASSERT_EQ(berth_root("volume create stranger", &out), 0) << out;  // not the project's
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  ASSERT_EQ(berth("volumes -q", &out), 0) << out;
  std::istringstream in(out);
  std::vector<std::string> names;
  for (std::string l; std::getline(in, l);) names.push_back(l);
  ASSERT_EQ(names.size(), 3u) << out;  // data, dbdata and app's anonymous volume
  EXPECT_TRUE(std::count(names.begin(), names.end(), project_ + "_data")) << out;
  EXPECT_TRUE(std::count(names.begin(), names.end(), project_ + "_dbdata")) << out;
  EXPECT_FALSE(std::count(names.begin(), names.end(), "stranger")) << out;

  ASSERT_EQ(berth("volumes -q db", &out), 0) << out;
  EXPECT_EQ(out, project_ + "_dbdata\n");
  ASSERT_EQ(berth("volumes db", &out), 0) << out;
  EXPECT_EQ(out, "DRIVER     VOLUME NAME\nlocal      " + project_ + "_dbdata\n");
  ASSERT_EQ(berth("volumes --format json app", &out), 0) << out;
  std::istringstream jl(out);
  std::vector<std::string> json_names;
  for (std::string l; std::getline(jl, l);) {
    auto j = nlohmann::json::parse(l);  // JSON Lines, one volume each
    EXPECT_EQ(j["Driver"], "local");
    json_names.push_back(j["Name"]);
  }
  EXPECT_EQ(json_names.size(), 2u) << out;
  EXPECT_TRUE(std::count(json_names.begin(), json_names.end(), project_ + "_data")) << out;
  EXPECT_EQ(berth("volumes nosuch", &out), 1);
  EXPECT_NE(out.find("no such service: nosuch"), std::string::npos) << out;
  berth_root("volume rm stranger");
}

// ---- attach ------------------------------------------------------------------------------------

TEST_F(Cmd, AttachRelaysStdinAndExitsWithTheContainersCode) {
  write(R"(services:
  echo:
    image: berth-examples/busybox:latest
    stdin_open: true
    command: ["sh", "-c", "while read l; do echo \"got $$l\"; done; echo bye; exit 3"]
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  EXPECT_EQ(run_command("printf 'hello\\n' | " + cli() + " attach echo", &out), 3) << out;
  EXPECT_NE(out.find("got hello\n"), std::string::npos) << out;
  EXPECT_NE(out.find("bye\n"), std::string::npos) << out;
  EXPECT_EQ(status(name("echo")), "exited");
}

TEST_F(Cmd, AttachDetachKeysLeaveTheContainerRunningWithItsStdinOpen) {
  write(R"(services:
  echo:
    image: berth-examples/busybox:latest
    stdin_open: true
    command: ["sh", "-c", "while read l; do echo \"got $$l\"; done; echo bye; exit 3"]
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  // ctrl-p ctrl-q, the default: what came before reaches the container, then berth leaves
  EXPECT_EQ(run_command("printf 'one\\n\\020\\021two\\n' | " + cli() + " attach echo", &out), 0) << out;
  EXPECT_EQ(status(name("echo")), "running");
  // A broken sequence is input; a chosen one detaches.
  EXPECT_EQ(run_command("printf 'a\\020b\\nthree\\n\\001' | " + cli() + " attach --detach-keys ctrl-a echo", &out), 0) << out;
  EXPECT_EQ(status(name("echo")), "running");
  berth("logs --no-color echo", &out);
  EXPECT_NE(out.find("got one\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("got two"), std::string::npos) << out;  // after the keys: never sent
  EXPECT_NE(out.find("got a\020b\n"), std::string::npos) << out;
  EXPECT_NE(out.find("got three\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("bye"), std::string::npos) << out;  // stdin never ended
  EXPECT_EQ(berth("attach --detach-keys ctrl-1 echo", &out), 1);
  EXPECT_NE(out.find("invalid detach keys (ctrl-1) provided"), std::string::npos) << out;
}

TEST_F(Cmd, AttachNoStdinSendsNothing) {
  write(R"(services:
  rd:
    image: berth-examples/busybox:latest
    stdin_open: true
    command: ["sh", "-c", "sleep 1; if read -t 5 l; then echo \"got $$l\"; else echo nothing; fi"]
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  EXPECT_EQ(run_command("printf 'x\\n' | " + cli() + " attach --no-stdin rd", &out), 0) << out;
  EXPECT_NE(out.find("nothing"), std::string::npos) << out;
  EXPECT_EQ(out.find("got"), std::string::npos) << out;
}

TEST_F(Cmd, AttachWithoutStdinFollowsOutputFromNowAndPicksTheIndex) {
  write(R"(services:
  out:
    image: berth-examples/busybox:latest
    command: ["sh", "-c", "echo early; sleep 4; echo late; exit 4"]
    deploy:
      replicas: 2
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  EXPECT_EQ(berth("attach --index 2 out", &out), 4) << out;
  EXPECT_NE(out.find("late\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("early"), std::string::npos) << out;  // written before the attach
  EXPECT_EQ(berth("attach --index 3 out", &out), 1);
  EXPECT_NE(out.find("not running"), std::string::npos) << out;
}

TEST_F(Cmd, AttachPassesSignalsOnUnlessSigProxyIsFalse) {
  write(R"(services:
  sig:
    image: berth-examples/busybox:latest
    command: ["sh", "-c", "trap 'echo caught; exit 7' TERM; while true; do sleep 0.2; done"]
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  // berth in the background, then SIGTERM to berth (not to the container)
  auto attach_then_term = [&](const std::string& flags) {
    return "{ " + cli() + " attach " + flags + " sig & p=$!; sleep 2; kill -TERM $p; wait $p; }";
  };
  EXPECT_EQ(run_command(attach_then_term("--sig-proxy=false"), &out), 143) << out;  // berth itself ended by it
  EXPECT_EQ(status(name("sig")), "running");
  EXPECT_EQ(run_command(attach_then_term(""), &out), 7) << out;
  EXPECT_NE(out.find("caught"), std::string::npos) << out;
  EXPECT_EQ(status(name("sig")), "exited");
}

// ---- push --------------------------------------------------------------------------------------

// Debian's docker-registry on a free loopback port, stopped (by PID) when the test ends.
class Registry {
 public:
  explicit Registry(const fs::path& dir) {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(s);
    host = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    fs::create_directories(dir);
    std::ofstream(dir / "config.yml") << "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: "
                                      << (dir / "data").string() << "\nhttp:\n  addr: " << host << "\n";
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* f = std::fopen((dir / "log").c_str(), "a");
      if (f) ::dup2(::fileno(f), 1), ::dup2(::fileno(f), 2);
      ::execl("/usr/bin/docker-registry", "docker-registry", "serve", (dir / "config.yml").c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 200 && tags("x") == "000"; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~Registry() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  // The registry's answer for the repository's tag list (body, or "000" when it is not up).
  std::string tags(const std::string& repo) {
    std::string out;
    run_command("curl -s --max-time 2 http://" + host + "/v2/" + repo + "/tags/list || echo 000", &out);
    return out;
  }
  std::string host;

 private:
  pid_t pid_ = -1;
};

TEST_F(Cmd, PushSendsTheImagesOfServicesThatBuildAndNameOne) {
  Registry reg(dir_ / "registry");
  ASSERT_NE(reg.tags("x"), "000") << "docker-registry did not start";
  fs::create_directories(dir_ / "web");
  std::ofstream(dir_ / "web" / "Dockerfile") << "FROM berth-examples/busybox:latest\n";
  const std::string r = reg.host + "/demo";
  write("services:\n"
        "  web:\n    image: " + r + "/web:1\n    build:\n      context: web\n      tags: [\"" + r + "/web:extra\"]\n"
        "  app:\n    image: " + r + "/app:1\n    build: web\n    depends_on: [web]\n"
        "  plain:\n    image: " + r + "/plain:1\n"
        "  local:\n    build: web\n");
  std::string out;
  for (const char* ref : {"/web:1", "/web:extra", "/app:1", "/plain:1"})
    ASSERT_EQ(berth_root("image tag berth-examples/busybox:latest " + r + ref, &out), 0) << out;

  // Only the named service, unless its dependencies are asked for too.
  ASSERT_EQ(berth("push app", &out), 0) << out;
  EXPECT_NE(reg.tags("demo/app").find("\"1\""), std::string::npos) << reg.tags("demo/app");
  EXPECT_NE(reg.tags("demo/web").find("NAME_UNKNOWN"), std::string::npos) << reg.tags("demo/web");
  ASSERT_EQ(berth("push -q --include-deps app", &out), 0) << out;
  EXPECT_EQ(out, "");
  std::string web = reg.tags("demo/web");
  EXPECT_NE(web.find("\"1\""), std::string::npos) << web;
  EXPECT_NE(web.find("\"extra\""), std::string::npos) << web;  // build.tags too
  // Every service: one without build: (plain) or without image: (local) is skipped.
  ASSERT_EQ(berth("--progress plain push", &out), 0) << out;
  EXPECT_NE(reg.tags("demo/plain").find("NAME_UNKNOWN"), std::string::npos) << reg.tags("demo/plain");
  EXPECT_NE(out.find("local"), std::string::npos) << out;
  EXPECT_NE(out.find("Skipped"), std::string::npos) << out;

  // An image that is not there fails the push, unless failures are ignored.
  ASSERT_EQ(berth_root("image rm " + r + "/app:1", &out), 0) << out;
  EXPECT_NE(berth("push app web", &out), 0) << out;
  ASSERT_EQ(berth("push --ignore-push-failures app web", &out), 0) << out;
  EXPECT_NE(out.find("Pushing app: "), std::string::npos) << out;
  for (const char* ref : {"/web:1", "/web:extra", "/plain:1"}) berth_root("image rm " + r + ref);
}

}  // namespace
}  // namespace berth::test
