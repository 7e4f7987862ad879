// berth up / down of whole projects through the real CLI, in a temporary state root.
#include "tests/integration/orchestrate/project_fixture.hpp"

namespace berth::test {
namespace {

using UpDown = ProjectTest;

constexpr const char* kStack = R"(services:
  web:
    image: berth-examples/busybox:latest
    init: true
    command: ["sh", "-c", "mkdir -p /www && echo hello-$$GREETING > /www/index.html && exec httpd -f -p 80 -h /www"]
    environment:
      GREETING: one
    ports: ["127.0.0.1::80"]
  client:
    image: berth-examples/busybox:latest
    init: true
    depends_on: [web]
    command: ["sleep", "300"]
  other:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
)";

TEST_F(UpDown, UpResolvesByNamePublishesAndSecondUpIsANoop) {
  write(kStack);
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  ASSERT_EQ(berth("ps --format json", &out), 0) << out;
  EXPECT_NE(out.find(project_ + "-web-1"), std::string::npos) << out;
  EXPECT_NE(out.find(project_ + "-client-1"), std::string::npos) << out;

  // the client finds the web service by name on the project network (retry while httpd starts)
  int rc = 1;
  for (int i = 0; i < 50 && rc != 0; ++i) {
    rc = berth("exec -T client wget -q -O - http://web/", &out);
    if (rc != 0) usleep(100000);
  }
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "hello-one\n");

  // the random host port answers on 127.0.0.1
  ASSERT_EQ(berth("port web 80", &out), 0) << out;
  ASSERT_EQ(out.rfind("127.0.0.1:", 0), 0u) << out;
  std::string port = out.substr(10, out.size() - 11);
  ASSERT_EQ(run_command("curl -s -m 5 http://127.0.0.1:" + port + "/", &out), 0) << out;
  EXPECT_EQ(out, "hello-one\n");

  std::string before = ids();
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  EXPECT_NE(out.find("nothing to do"), std::string::npos) << out;
  EXPECT_EQ(ids(), before);
}

// As the issue asks: a changed service is recreated with the services that depend on it;
// unrelated services keep their containers.
TEST_F(UpDown, ChangedServiceIsRecreatedWithItsDependents) {
  write(kStack);
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  std::string web_before, client_before, other_before;
  berth("ps -q web", &web_before);
  berth("ps -q client", &client_before);
  berth("ps -q other", &other_before);
  std::string changed = kStack;
  changed.replace(changed.find("GREETING: one"), 13, "GREETING: two");
  write(changed);
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  std::string web_after, client_after, other_after;
  berth("ps -q web", &web_after);
  berth("ps -q client", &client_after);
  berth("ps -q other", &other_after);
  EXPECT_NE(web_before, web_after);
  EXPECT_NE(client_before, client_after);
  EXPECT_EQ(other_before, other_after);
  int rc = 1;
  for (int i = 0; i < 50 && rc != 0; ++i) {
    rc = berth("exec -T client wget -q -O - http://web/", &out);
    if (rc != 0) usleep(100000);
  }
  EXPECT_EQ(out, "hello-two\n");
}

// A service's `mac_address` is its interface's MAC, and the one the bridge pins its port to:
// its traffic passes (a pin on another MAC would drop every frame it sends).
TEST_F(UpDown, MacAddressIsTheInterfacesAndItsTrafficPasses) {
  write(R"(services:
  web:
    image: berth-examples/busybox:latest
    init: true
    mac_address: "02:42:ac:1e:00:99"
    command: ["sh", "-c", "mkdir -p /www && echo mac-ok > /www/index.html && exec httpd -f -p 80 -h /www"]
  client:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "300"]
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  ASSERT_EQ(berth("exec -T web cat /sys/class/net/eth0/address", &out), 0) << out;
  EXPECT_EQ(out, "02:42:ac:1e:00:99\n");
  int rc = 1;
  for (int i = 0; i < 50 && rc != 0; ++i) {
    rc = berth("exec -T client wget -q -O - http://web/", &out);
    if (rc != 0) usleep(100000);
  }
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "mac-ok\n");
  ASSERT_EQ(berth("down -t 1", &out), 0) << out;
}

TEST_F(UpDown, DownRemovesContainersAndNetwork) {
  write(kStack);
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  ASSERT_EQ(berth("down -t 1", &out), 0) << out;
  EXPECT_EQ(ids(), "");
  ASSERT_EQ(run_command(std::string(BERTH_BINARY_DIR) + "/berth --root " + quote(root_.string()) + " container ls -a", &out), 0);
  EXPECT_EQ(out.find(project_), std::string::npos) << out;
  // the project's bridge is gone: no network record remains
  EXPECT_FALSE(fs::exists(root_ / "networks" / (project_ + "_default.json")));
}

TEST_F(UpDown, DependencyOrderAndCompletedSuccessfully) {
  write(R"(services:
  setup:
    image: berth-examples/busybox:latest
    volumes: ["data:/data"]
    command: ["sh", "-c", "sleep 0.3; echo ready > /data/flag"]
  app:
    image: berth-examples/busybox:latest
    init: true
    volumes: ["data:/data"]
    depends_on:
      setup: {condition: service_completed_successfully}
    command: ["sh", "-c", "cat /data/flag && exec sleep 300"]
volumes:
  data:
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  // app started only after setup wrote the flag into the shared volume
  ASSERT_EQ(berth("exec -T app cat /data/flag", &out), 0) << out;
  EXPECT_EQ(out, "ready\n");
  ASSERT_EQ(berth("ps -a --format json", &out), 0);
  EXPECT_NE(out.find("\"ExitCode\":0"), std::string::npos) << out;
}

TEST_F(UpDown, FailedUpKeepsWhatItMadeAsCompose) {
  write(R"(services:
  ok:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
  broken:
    image: berth-examples/busybox:latest
    depends_on: [ok]
    command: ["/no/such/program"]
)");
  std::string out;
  EXPECT_NE(berth("up -d", &out), 0);
  EXPECT_NE(out.find("/no/such/program"), std::string::npos) << out;
  // as compose: the containers stay (`ps`/`logs` can show why), and so does their network
  EXPECT_EQ(state_of("ok"), "running");
  EXPECT_EQ(state_of("broken"), "created");
  EXPECT_TRUE(fs::exists(root_ / "networks" / (project_ + "_default.json")));
}

TEST_F(UpDown, PortConflictIsRefusedBeforeAnythingIsMade) {
  // a port published twice is refused before anything (even the network) is made
  write(R"(services:
  a:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
    ports: ["127.0.0.1:18931:80"]
  b:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
    ports: ["127.0.0.1:18931:80"]
)");
  std::string out;
  EXPECT_NE(berth("up -d", &out), 0);
  EXPECT_EQ(ids(), "");
  EXPECT_FALSE(fs::exists(root_ / "networks" / (project_ + "_default.json")));
}

TEST_F(UpDown, MissingImageIsOneClearError) {
  // pull_policy: never, so that the test sends nothing to a real registry
  write("services:\n  web:\n    image: nowhere/nothing:1\n    pull_policy: never\n");
  std::string out;
  EXPECT_NE(berth("up -d", &out), 0);
  EXPECT_NE(out.find("image nowhere/nothing:1 not found and pull_policy is never"), std::string::npos) << out;
  EXPECT_EQ(ids(), "");
}

}  // namespace
}  // namespace berth::test
