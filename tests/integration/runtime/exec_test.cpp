// exec: the process joins the container (namespaces, cgroup, confinement) with the container's
// environment, user and working directory, each overridable; its exit status comes back.
#include <algorithm>

#include "tests/support/runtime_fixture.hpp"

namespace berth::test {
namespace {

class RuntimeExec : public RuntimeTest {};

TEST_F(RuntimeExec, EnvironmentIsTheContainersPlusExecValues) {
  std::string id = run_detached("-e A=from-run -e B=also-run", "sleep 300");
  ASSERT_FALSE(id.empty());
  auto env = lines_of(exec("-e B=from-exec -e C=new " + id, "env"));
  auto has = [&](const std::string& kv) { return std::find(env.begin(), env.end(), kv) != env.end(); };
  EXPECT_TRUE(has("A=from-run")) << testing::PrintToString(env);
  EXPECT_TRUE(has("B=from-exec")) << testing::PrintToString(env);
  EXPECT_FALSE(has("B=also-run")) << testing::PrintToString(env);
  EXPECT_TRUE(has("C=new")) << testing::PrintToString(env);
  EXPECT_TRUE(has("HOSTNAME=" + id.substr(0, 12))) << testing::PrintToString(env);
  EXPECT_TRUE(has("PATH=/usr/sbin:/usr/bin:/sbin:/bin")) << "the image's PATH: " << testing::PrintToString(env);
  EXPECT_TRUE(has("HOME=/root")) << testing::PrintToString(env);
  // The command itself got the run values.
  std::string pid1 = exec(id, "cat /proc/1/environ");
  EXPECT_NE(pid1.find(std::string("B=also-run\0", 11)), std::string::npos);
}

TEST_F(RuntimeExec, UserIsTheContainersUnlessGiven) {
  std::string id = run_detached("-u app", "sleep 300");
  ASSERT_FALSE(id.empty());
  // no supplementary groups: app is in no group's member list (runc's rule)
  EXPECT_EQ(exec(id, "id"), "uid=1000(app) gid=1000(app)\n");
  EXPECT_EQ(exec(id, "sh -c " + quote("echo $HOME")), "/home/app\n");
  EXPECT_EQ(exec("-u root " + id, "id -u"), "0\n");
  EXPECT_EQ(exec("-u 1000:65534 " + id, "id"), "uid=1000(app) gid=65534(nogroup)\n");
  EXPECT_EQ(exec("-u 4242 " + id, "id -u"), "4242\n") << "a uid need not exist in /etc/passwd";
  int rc = 0;
  std::string out = exec("-u ghost " + id, "id", &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("unable to find user ghost"), std::string::npos) << out;
  out = exec("-u app:ghosts " + id, "id", &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("unable to find group ghosts"), std::string::npos) << out;
}

TEST_F(RuntimeExec, WorkingDirectoryIsTheContainersUnlessGiven) {
  std::string id = run_detached("-w /var/data", "sleep 300");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(exec(id, "readlink /proc/1/cwd"), "/var/data\n") << "created when missing, as Docker does";
  EXPECT_EQ(exec(id, "pwd"), "/var/data\n");
  EXPECT_EQ(exec("-w /tmp " + id, "pwd"), "/tmp\n");
  int rc = 0;
  std::string out = exec("-w /no/such/dir " + id, "pwd", &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("/no/such/dir"), std::string::npos) << out;
}

TEST_F(RuntimeExec, JoinsTheContainerAndReturnsTheStatus) {
  std::string id = run_detached("", "sleep 300");
  ASSERT_FALSE(id.empty());
  // same namespaces and cgroup as PID 1
  for (const char* ns : {"pid", "mnt", "net", "uts", "ipc", "cgroup"})
    EXPECT_EQ(exec(id, std::string("readlink /proc/self/ns/") + ns), exec(id, std::string("readlink /proc/1/ns/") + ns)) << ns;
  EXPECT_EQ(exec(id, "cat /proc/self/cgroup"), exec(id, "cat /proc/1/cgroup"));
  int rc = 0;
  exec(id, "sh -c " + quote("exit 5"), &rc);
  EXPECT_EQ(rc, 5);
  std::string out = exec(id, "no-such-command", &rc);
  EXPECT_EQ(rc, 127);
  EXPECT_NE(out.find("exec: \"no-such-command\": executable file not found in $PATH"), std::string::npos) << out;
  out = exec(id, "/etc/passwd", &rc);
  EXPECT_EQ(rc, 126) << out;
  // stdin is not attached without -i
  EXPECT_EQ(exec(id, "cat"), "");

  std::string out2;
  ASSERT_EQ(berth("container stop -t 1 " + id, &out2), 0) << out2;
  out = exec(id, "true", &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("is not running"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::test
