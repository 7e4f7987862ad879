// RUN --mount options as BuildKit reads them: cache sharing= (locked serializes, private takes a
// fresh directory while the cache is busy), a cache seeded from a stage, read-only caches,
// read-write binds whose writes never reach the context, secrets as environment variables and
// with their own owner and mode, ssh agent forwarding, and --shm-size.

#include "base/sha256.hpp"
#include "tests/integration/build/build_fixture.hpp"
#include "tests/support/unix_socket.hpp"

namespace berth::test {
namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string cache_file(const fs::path& root, const std::string& id, const std::string& name) {
  return slurp(root / "build-cache" / "mounts" / sha256_hex(id) / name);
}

// Two independent stages built in parallel, each holding the cache for a while.
std::string two_stages_on_one_cache(const std::string& sharing) {
  auto run = [&](const std::string& stage) {
    return "RUN --mount=type=cache,id=shared-" + sharing + ",target=/c,sharing=" + sharing +
           " sh -c 'echo start >> /c/log; sleep 0.4; echo end >> /c/log; echo " + stage + " > /done'\n";
  };
  return "FROM berth-test/busybox AS a\n" + run("a") + "FROM berth-test/busybox AS b\n" + run("b") +
         "FROM berth-test/busybox\nCOPY --from=a /etc/hostname /a\nCOPY --from=b /etc/hostname /b\n";
}

TEST_F(BuildTest, CacheSharingLockedSerializesAndSharedOverlaps) {
  write("Dockerfile", two_stages_on_one_cache("locked"));
  std::string out;
  ASSERT_EQ(build("", &out), 0) << out;
  EXPECT_EQ(cache_file(root_, "shared-locked", "log"), "start\nend\nstart\nend\n");
  write("Dockerfile", two_stages_on_one_cache("shared"));
  ASSERT_EQ(build("", &out), 0) << out;
  EXPECT_EQ(cache_file(root_, "shared-shared", "log"), "start\nstart\nend\nend\n") << "the two steps ran at once";
}

TEST_F(BuildTest, CacheSharingPrivateGivesABusyCacheAFreshDirectory) {
  write("Dockerfile", two_stages_on_one_cache("private"));
  std::string out;
  ASSERT_EQ(build("", &out), 0) << out;
  // One step had the cache; the other wrote to a directory of its own, gone with the step.
  EXPECT_EQ(cache_file(root_, "shared-private", "log"), "start\nend\n");
}

TEST_F(BuildTest, CacheSeededFromAStageAndReadOnlyCaches) {
  write("Dockerfile",
        "FROM berth-test/busybox AS seed\n"
        "RUN mkdir /seed && echo seeded > /seed/file\n"
        "FROM berth-test/busybox\n"
        "RUN --mount=type=cache,id=seeded,target=/c,from=seed,source=/seed cat /c/file > /from-cache\n"
        "RUN --mount=type=cache,id=seeded,target=/c,ro sh -c 'touch /c/x 2>/dev/null && echo writable || echo read-only' > /ro\n"
        "CMD cat /from-cache /ro\n");
  std::string out;
  ASSERT_EQ(build("-t built:cachefrom", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm built:cachefrom", &out), 0) << out;
  EXPECT_EQ(out, "seeded\nread-only\n");
  berth("image rm built:cachefrom");
}

TEST_F(BuildTest, ReadWriteBindWritesAreDiscarded) {
  write("data/in.txt", "in\n");
  write("Dockerfile",
        "FROM berth-test/busybox\n"
        "RUN --mount=type=bind,source=data,target=/d,rw sh -c 'echo more >> /d/in.txt && echo new > /d/new && cat /d/in.txt /d/new' > /seen\n"
        "RUN --mount=type=bind,source=data/in.txt,target=/one.txt,rw sh -c 'echo x >> /one.txt'\n"
        "RUN --mount=type=bind,source=data,target=/d sh -c 'echo x > /d/y 2>/dev/null && echo writable || echo read-only' > /ro\n"
        "CMD cat /seen /ro\n");
  std::string out;
  ASSERT_EQ(build("-t built:rwbind", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm built:rwbind", &out), 0) << out;
  EXPECT_EQ(out, "in\nmore\nnew\nread-only\n");
  EXPECT_EQ(slurp(ctx_ / "data" / "in.txt"), "in\n") << "a write through an rw bind reached the context";
  EXPECT_FALSE(fs::exists(ctx_ / "data" / "new"));
  berth("image rm built:rwbind");
}

TEST_F(BuildTest, SecretAsEnvironmentAndWithItsOwnerAndMode) {
  std::ofstream(dir_ / "token") << "tok3n";
  write("Dockerfile",
        "FROM berth-test/busybox\n"
        "RUN --mount=type=secret,id=tok,env=TOKEN sh -c 'test \"$TOKEN\" = tok3n && echo env-ok' > /env\n"
        "RUN --mount=type=secret,id=tok,uid=5,gid=6,mode=0440 stat -c '%a %u %g' /run/secrets/tok > /mode\n"
        "CMD cat /env /mode; env\n");
  std::string out;
  ASSERT_EQ(build("--secret id=tok,src=" + (dir_ / "token").string() + " -t built:secretenv", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm built:secretenv", &out), 0) << out;
  EXPECT_EQ(out.rfind("env-ok\n440 5 6\n", 0), 0u) << out;
  EXPECT_EQ(out.find("tok3n"), std::string::npos) << "the secret stayed in the image:\n" << out;
  EXPECT_EQ(out.find("TOKEN"), std::string::npos) << out;
  berth("image rm built:secretenv");
}

TEST_F(BuildTest, SshAgentSocketIsForwardedWhenGiven) {
  // A listening unix socket stands in for an agent: the RUN sees it where SSH_AUTH_SOCK says.
  fs::path sock = dir_ / "agent.sock";
  ListeningUnixSocket agent(sock);
  ASSERT_TRUE(agent.valid());
  write("Dockerfile",
        "FROM berth-test/busybox\n"
        "RUN --mount=type=ssh sh -c 'test -S \"$SSH_AUTH_SOCK\" && echo \"$SSH_AUTH_SOCK\"' > /agent\n"
        "CMD cat /agent\n");
  std::string out;
  ASSERT_EQ(build("--ssh default=" + sock.string() + " -t built:ssh", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm built:ssh", &out), 0) << out;
  EXPECT_EQ(out, "/run/buildkit/ssh_agent.0\n");
  berth("image rm built:ssh");

  // Required and not given: the Dockerfile's line and what to pass. A key file is not a socket.
  write("Dockerfile", "FROM berth-test/busybox\nRUN --mount=type=ssh,required=true true\n");
  EXPECT_NE(build("--no-cache", &out), 0);
  EXPECT_NE(out.find("Dockerfile:2"), std::string::npos) << out;
  EXPECT_NE(out.find("--ssh default"), std::string::npos) << out;
  EXPECT_NE(build("--ssh default=" + (ctx_ / "Dockerfile").string(), &out), 0);
  EXPECT_NE(out.find("is not an agent socket"), std::string::npos) << out;
}

TEST_F(BuildTest, ShmSizeSetsDevShmOfRunSteps) {
  write("Dockerfile", "FROM berth-test/busybox\nRUN df -k /dev/shm | tail -1 | awk '{print $2}' > /shm\nCMD cat /shm\n");
  std::string out;
  ASSERT_EQ(build("--shm-size 8m -t built:shm", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm built:shm", &out), 0) << out;
  EXPECT_EQ(out, "8192\n");
  berth("image rm built:shm");
}

}  // namespace
}  // namespace berth::test
