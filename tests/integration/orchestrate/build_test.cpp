// `build:` in the project file: up builds what is missing, once per image; --build rebuilds
// (an unchanged one from the cache, recreating nothing); a changed copied file recreates its
// service; berth build; --no-build; down --rmi local; a failing step names the Dockerfile line.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "tests/integration/orchestrate/project_fixture.hpp"
#include "tests/support/unix_socket.hpp"

namespace berth::test {
namespace {

using Build = ProjectTest;

constexpr const char* kShared = R"(services:
  web:
    build:
      context: ./app
      args: [GREETING]
      labels:
        org.example.team: "blue team"
      cache_to: ["type=local,dest=/tmp/nowhere"]
    command: ["sh", "-c", "cat /greeting /src/page.txt; sleep 300"]
  worker:
    build: ./app
    image: shared-worker:1
    command: ["sleep", "300"]
  again:
    build: ./app
    image: shared-worker:1
    command: ["sleep", "300"]
)";

constexpr const char* kDockerfile = R"(FROM berth-examples/busybox:latest
ARG GREETING=unset
RUN echo "$GREETING" > /greeting
COPY page.txt /src/page.txt
CMD ["sleep", "300"]
)";

class BuildTest : public Build {
 protected:
  void write_app(const std::string& page) {
    fs::create_directories(dir_ / "app");
    std::ofstream(dir_ / "app" / "Dockerfile") << kDockerfile;
    std::ofstream(dir_ / "app" / "page.txt") << page << "\n";
  }
  std::string container_id(const std::string& service) {
    std::string out;
    berth("ps -q " + service, &out);
    return out;
  }
};

TEST_F(BuildTest, UpBuildsOncePerImageAndRebuildsOnlyWhatChanged) {
  write(kShared);
  write_app("one");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  // worker and again share one image: one build of it, and one of web's.
  std::size_t builds = 0;
  for (std::size_t p = 0; (p = out.find("RUN echo \"$GREETING\"", p)) != std::string::npos; ++p) ++builds;
  EXPECT_EQ(builds, 2u) << out;
  // The unused key is named with its file and line.
  EXPECT_NE(out.find("compose.yaml:8: services.web.build.cache_to is not used"), std::string::npos) << out;
  std::string logs;
  ASSERT_TRUE([&] {
    for (int i = 0; i < 50; ++i) {
      berth("logs web", &logs);
      if (logs.find("one") != std::string::npos) return true;
      ::usleep(100 * 1000);
    }
    return false;
  }()) << logs;
  // GREETING is in `args` without a value and unset here: the Dockerfile's default stays.
  EXPECT_NE(logs.find("unset"), std::string::npos) << logs;
  ASSERT_EQ(berth_root("image inspect " + project_ + "-web", &out), 0) << out;
  EXPECT_NE(out.find("\"org.example.team\": \"blue team\""), std::string::npos) << out;
  ASSERT_EQ(berth_root("image inspect shared-worker:1", &out), 0) << out;

  // --build with nothing changed: every step cached, no container recreated.
  std::string web = container_id("web"), worker = container_id("worker");
  ASSERT_EQ(berth("up -d --build", &out), 0) << out;
  EXPECT_NE(out.find("CACHED"), std::string::npos) << out;
  EXPECT_EQ(container_id("web"), web);
  EXPECT_EQ(container_id("worker"), worker);

  // A changed copied file: the images are rebuilt from that COPY on and their containers recreated.
  write_app("two");
  ASSERT_EQ(berth("up -d --build", &out), 0) << out;
  EXPECT_NE(container_id("web"), web);
  EXPECT_NE(container_id("worker"), worker);
  ASSERT_EQ(berth("exec -T web cat /src/page.txt", &out), 0) << out;
  EXPECT_EQ(out, "two\n");

  // down --rmi local removes the images named after the project, not those with an image: name.
  ASSERT_EQ(berth("down --rmi local", &out), 0) << out;
  EXPECT_NE(berth_root("image inspect " + project_ + "-web", &out), 0);
  EXPECT_EQ(berth_root("image inspect shared-worker:1", &out), 0) << out;
  berth_root("image rm shared-worker:1");
}

TEST_F(BuildTest, BuildCommandNoBuildAndBuildArgs) {
  write(kShared);
  write_app("one");
  std::string out;
  // --no-build with a missing image fails before anything is made.
  EXPECT_NE(berth("up -d --no-build", &out), 0);
  EXPECT_NE(out.find("not found and --no-build"), std::string::npos) << out;
  EXPECT_EQ(ids(), "");
  ASSERT_EQ(berth("build --build-arg GREETING=hi web", &out), 0) << out;
  EXPECT_NE(berth_root("image inspect shared-worker:1", &out), 0) << "only web was asked for";
  ASSERT_EQ(berth("run --rm -T web cat /greeting", &out), 0) << out;
  EXPECT_NE(out.find("hi"), std::string::npos) << out;
  EXPECT_NE(berth("build nosuch", &out), 0);
  EXPECT_NE(out.find("no such service: nosuch"), std::string::npos) << out;
  berth("down --rmi all");
}

// build.shm_size and build.ssh (a socket path relative to the project) reach the RUN steps, and
// `config` prints them; neither is warned about as unused.
TEST_F(BuildTest, ShmSizeAndSshReachTheBuild) {
  fs::path sock = dir_ / "agent.sock";
  ListeningUnixSocket agent(sock);
  ASSERT_TRUE(agent.valid());
  write(R"(services:
  one:
    build:
      shm_size: 8m
      ssh: ["default=agent.sock"]
      dockerfile_inline: |
        FROM berth-examples/busybox:latest
        RUN --mount=type=ssh sh -c 'test -S "$$SSH_AUTH_SOCK" && df -k /dev/shm | tail -1 | awk "{print \$$2}"' > /x
    command: ["cat", "/x"]
)");
  std::string out;
  ASSERT_EQ(berth("config", &out), 0) << out;
  EXPECT_NE(out.find("default=agent.sock"), std::string::npos) << out;
  ASSERT_EQ(berth("run --rm -T one", &out), 0) << out;
  EXPECT_NE(out.find("8192\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("not used"), std::string::npos) << out;
  berth("down --rmi local");
}

TEST_F(BuildTest, DockerfileInlineBuildsAndLeavesNoTemporaryFile) {
  write(R"(services:
  one:
    build:
      dockerfile_inline: |
        FROM berth-examples/busybox:latest
        RUN echo inline > /x
    command: ["cat", "/x"]
)");
  std::string out;
  ASSERT_EQ(berth("run --rm -T one", &out), 0) << out;
  EXPECT_NE(out.find("inline"), std::string::npos) << out;
  std::error_code ec;
  auto tmp = root_ / "build-cache" / "tmp";
  EXPECT_TRUE(!fs::exists(tmp, ec) || fs::is_empty(tmp, ec)) << "the inline Dockerfile's directory is left in " << tmp;
  berth("down --rmi all");
}

TEST_F(BuildTest, AFailingStepNamesTheDockerfileLineAndLeavesNoContainer) {
  write("services:\n  web:\n    build: ./app\n");
  fs::create_directories(dir_ / "app");
  std::ofstream(dir_ / "app" / "Dockerfile") << "FROM berth-examples/busybox:latest\n\nRUN echo about to fail && exit 3\n";
  std::string out;
  EXPECT_NE(berth("up -d", &out), 0);
  EXPECT_NE(out.find("app/Dockerfile:3"), std::string::npos) << out;
  EXPECT_NE(out.find("about to fail"), std::string::npos) << "the step's output is shown: " << out;
  EXPECT_EQ(ids(), "");
  std::string containers;
  berth_root("container ls -a -q", &containers);
  EXPECT_EQ(containers, "") << "no build container is left";
}

// build.network and build.extra_hosts reach the RUN steps (they were ignored, with a warning);
// the build network goes with the build; a network mode BuildKit has not is one error naming
// the file and line.
TEST_F(BuildTest, BuildNetworkAndExtraHostsReachTheRunSteps) {
  write(R"(services:
  isolated:
    build:
      context: ./net
      network: none
      extra_hosts: ["db.test:192.0.2.77", "gw.test=host-gateway"]
    image: netcheck-none:1
  bridged:
    build:
      context: ./net
      extra_hosts:
        db.test: 192.0.2.78
    image: netcheck-default:1
)");
  fs::create_directories(dir_ / "net");
  std::ofstream(dir_ / "net" / "Dockerfile")
      << "FROM berth-examples/busybox:latest\n"
         "RUN ls /sys/class/net | tr '\\n' , > /links && grep test /etc/hosts > /hosts.seen\n"
         "CMD cat /links /hosts.seen\n";
  std::string out;
  ASSERT_EQ(berth("build", &out), 0) << out;
  EXPECT_EQ(out.find("extra_hosts is not used"), std::string::npos) << out;
  ASSERT_EQ(berth_root("container run --rm netcheck-none:1", &out), 0) << out;
  EXPECT_EQ(out, "lo,192.0.2.77\tdb.test\n127.0.0.1\tgw.test\n");
  ASSERT_EQ(berth_root("container run --rm netcheck-default:1", &out), 0) << out;
  EXPECT_EQ(out, "eth0,lo,192.0.2.78\tdb.test\n");
  EXPECT_FALSE(fs::exists(root_ / "networks" / "berth-build.json")) << "the build network is left";
  berth_root("image rm netcheck-none:1 netcheck-default:1");

  write("services:\n  web:\n    build:\n      context: ./net\n      network: mynet\n");
  EXPECT_NE(berth("build", &out), 0);
  EXPECT_NE(out.find("compose.yaml:5"), std::string::npos) << out;
  EXPECT_NE(out.find("unsupported network mode \"mynet\" (default, none or host)"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::test
