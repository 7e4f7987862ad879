// Keys that parsed and did nothing before (issue 18): volumes_from, pid/ipc/uts joins,
// group_add, secret/config uid/gid/mode, and the warning for a key berth cannot honour.
#include <sys/stat.h>
#include <unistd.h>

#include "tests/integration/orchestrate/project_fixture.hpp"

namespace berth::test {
namespace {

using ComposeServiceKeys = ProjectTest;

TEST_F(ComposeServiceKeys, VolumesFromSharesTheOtherServicesMounts) {
  write(R"(services:
  data:
    image: berth-examples/busybox:latest
    command: ["sh", "-c", "echo written-by-data > /shared/f && echo b > /bound/g && sleep 300"]
    volumes: [/shared, "./bound:/bound"]
  reader:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
    volumes_from: [data]
  ro:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
    volumes_from: ["data:ro"]
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  for (int i = 0; i < 100 && berth("exec -T reader cat /shared/f", &out) != 0; ++i) ::usleep(100000);
  EXPECT_EQ(out, "written-by-data\n");
  EXPECT_EQ(berth("exec -T reader cat /bound/g", &out), 0) << out;
  EXPECT_EQ(out, "b\n");
  EXPECT_EQ(berth("exec -T reader sh -c 'echo back > /shared/h'", &out), 0) << out;
  EXPECT_EQ(berth("exec -T data cat /shared/h", &out), 0) << out;
  EXPECT_EQ(out, "back\n");
  EXPECT_NE(berth("exec -T ro sh -c 'echo x > /shared/i'", &out), 0) << "data:ro is read-only: " << out;
  EXPECT_NE(out.find("Read-only file system"), std::string::npos) << out;
}

TEST_F(ComposeServiceKeys, PidIpcAndUtsJoinAnotherService) {
  write(R"(services:
  main:
    image: berth-examples/busybox:latest
    command: ["sh", "-c", "exec sleep 3001"]
    hostname: mainhost
  side:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
    pid: "service:main"
    ipc: "service:main"
    uts: "service:main"
  hostpid:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
    pid: host
  own:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  // pid: the other container's processes are seen (its sleep 3001)
  EXPECT_EQ(berth("exec -T side ps", &out), 0) << out;
  EXPECT_NE(out.find("sleep 3001"), std::string::npos) << out;
  EXPECT_EQ(berth("exec -T own ps", &out), 0) << out;
  EXPECT_EQ(out.find("sleep 3001"), std::string::npos) << "a container of its own sees only itself: " << out;
  // pid: host sees the host's PID 1 and this test itself
  EXPECT_EQ(berth("exec -T hostpid cat /proc/" + std::to_string(::getpid()) + "/comm", &out), 0) << out;
  // uts: the other container's hostname
  EXPECT_EQ(berth("exec -T side hostname", &out), 0) << out;
  EXPECT_EQ(out, "mainhost\n");
  // ipc: the same IPC namespace and /dev/shm
  std::string a, b;
  berth("exec -T main readlink /proc/self/ns/ipc", &a);
  berth("exec -T side readlink /proc/self/ns/ipc", &b);
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find("ipc:["), std::string::npos) << a;
  EXPECT_EQ(berth("exec -T main sh -c 'echo shm > /dev/shm/x'", &out), 0) << out;
  EXPECT_EQ(berth("exec -T side cat /dev/shm/x", &out), 0) << out;
  EXPECT_EQ(out, "shm\n");
}

TEST_F(ComposeServiceKeys, GroupAddGivesSupplementaryGroups) {
  write(R"(services:
  app:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
    user: "1000:1000"
    group_add: ["4321", "5678"]
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  EXPECT_EQ(berth("exec -T app id -G", &out), 0) << out;
  EXPECT_NE(out.find("4321"), std::string::npos) << out;
  EXPECT_NE(out.find("5678"), std::string::npos) << out;
  write(R"(services:
  app:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
    group_add: [no-such-group]
)");
  EXPECT_NE(berth("up -d", &out), 0) << out;
  EXPECT_NE(out.find("unable to find group no-such-group"), std::string::npos) << out;
}

TEST_F(ComposeServiceKeys, SecretUidGidAndModeAreApplied) {
  std::ofstream(dir_ / "token.txt") << "s3cret\n";
  write(R"(services:
  app:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
    secrets:
      - source: token
        uid: "1234"
        gid: "4321"
        mode: 0400
secrets:
  token:
    file: ./token.txt
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  EXPECT_EQ(berth("exec -T app stat -c '%u %g %a' /run/secrets/token", &out), 0) << out;
  EXPECT_EQ(out, "1234 4321 400\n");
  EXPECT_EQ(berth("exec -T app cat /run/secrets/token", &out), 0) << out;
  EXPECT_EQ(out, "s3cret\n");
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "token.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u) << "the user's own file is left as it was";
}

TEST_F(ComposeServiceKeys, AKeyBerthCannotHonourIsWarnedAboutWithItsLine) {
  write(R"(services:
  app:
    image: berth-examples/busybox:latest
    command: ["true"]
    cgroup_parent: mygroup
)");
  std::string out;
  ASSERT_EQ(berth("create", &out), 0) << out;
  EXPECT_NE(out.find("compose.yaml:5: services.app.cgroup_parent is not supported by berth"), std::string::npos) << out;
}


TEST_F(ComposeServiceKeys, PostStartAndPreStopHooksRun) {
  fs::create_directories(dir_ / "out");
  write(R"(services:
  app:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
    volumes: ["./out:/out"]
    post_start:
      - command: ["sh", "-c", "echo \"started $$WHO\" > /out/post"]
        environment: {WHO: hook}
    pre_stop:
      - command: sh -c 'echo stopping > /out/pre'
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  std::string post;
  run_command("cat " + quote((dir_ / "out" / "post").string()), &post);
  EXPECT_EQ(post, "started hook\n");
  EXPECT_FALSE(fs::exists(dir_ / "out" / "pre"));
  ASSERT_EQ(berth("stop -t 1", &out), 0) << out;
  std::string pre;
  run_command("cat " + quote((dir_ / "out" / "pre").string()), &pre);
  EXPECT_EQ(pre, "stopping\n");
}

TEST_F(ComposeServiceKeys, AFailingPostStartHookFailsUp) {
  write(R"(services:
  app:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
    post_start:
      - command: ["sh", "-c", "exit 3"]
)");
  std::string out;
  EXPECT_NE(berth("up -d", &out), 0) << out;
  EXPECT_NE(out.find("post_start hook exited with code 3"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::test
