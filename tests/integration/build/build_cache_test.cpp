// The build cache: an unchanged rebuild runs no step; a change to one copied file re-runs exactly
// the steps from that COPY on; a file .dockerignore excludes changes nothing; cache mounts persist.
#include "tests/integration/build/build_fixture.hpp"

namespace berth::test {

TEST_F(BuildTest, RebuildHitsAndMissesExactlyFromTheChangedCopy) {
  write("Dockerfile",
        "FROM berth-test/busybox\n"
        "COPY first.txt /app/\n"
        "RUN cat /app/first.txt > /app/first.copy\n"
        "COPY second.txt /app/\n"
        "RUN cat /app/second.txt > /app/second.copy\n"
        "CMD cat /app/first.copy /app/second.copy\n");
  write("first.txt", "one\n");
  write("second.txt", "two\n");
  write(".dockerignore", "ignored.txt\n");
  write("ignored.txt", "x\n");
  std::string out;
  ASSERT_EQ(build("-t built:cache", &out), 0) << out;
  EXPECT_EQ(ran_steps(out).size(), 6u) << out;

  ASSERT_EQ(build("-t built:cache", &out), 0) << out;
  EXPECT_EQ(ran_steps(out), std::vector<std::string>{"[1/6] FROM berth-test/busybox"}) << out;
  EXPECT_EQ(count(out, " CACHED"), 5) << out;

  write("ignored.txt", "changed, but excluded\n");
  ASSERT_EQ(build("-t built:cache", &out), 0) << out;
  EXPECT_EQ(count(out, " CACHED"), 5) << out;

  write("second.txt", "TWO\n");
  ASSERT_EQ(build("-t built:cache", &out), 0) << out;
  EXPECT_EQ(ran_steps(out), (std::vector<std::string>{"[1/6] FROM berth-test/busybox", "[4/6] COPY second.txt /app/",
                                                      "[5/6] RUN cat /app/second.txt > /app/second.copy",
                                                      "[6/6] CMD cat /app/first.copy /app/second.copy"}))
      << out;
  ASSERT_EQ(berth("container run --rm built:cache", &out), 0) << out;
  EXPECT_EQ(out, "one\nTWO\n");

  // A mode change is a change too.
  fs::permissions(ctx_ / "first.txt", fs::perms::owner_exec, fs::perm_options::add);
  ASSERT_EQ(build("-t built:cache", &out), 0) << out;
  EXPECT_EQ(ran_steps(out).size(), 6u) << out;

  ASSERT_EQ(build("--no-cache -t built:cache", &out), 0) << out;
  EXPECT_EQ(count(out, " CACHED"), 0) << out;
}

TEST_F(BuildTest, BuildArgsAreInTheKey) {
  write("Dockerfile", "FROM berth-test/busybox\nARG V=a\nRUN echo $V > /v\nCMD cat /v\n");
  std::string out;
  ASSERT_EQ(build("-t built:arg", &out), 0) << out;
  ASSERT_EQ(build("--build-arg V=b -t built:arg", &out), 0) << out;
  EXPECT_EQ(count(out, " CACHED"), 0) << out;
  ASSERT_EQ(berth("container run --rm built:arg", &out), 0) << out;
  EXPECT_EQ(out, "b\n");
  ASSERT_EQ(build("--build-arg V=b --build-arg UNUSED=1 -t built:arg", &out), 0) << out;
  EXPECT_EQ(count(out, " CACHED"), 3) << out;
  EXPECT_NE(out.find("WARNING: build argument \"UNUSED\" was not consumed"), std::string::npos) << out;
}

TEST_F(BuildTest, DockerignoreWithExceptions) {
  write("Dockerfile", "FROM berth-test/busybox\nCOPY . /ctx/\nCMD find /ctx -type f\n");
  write(".dockerignore", "*.md\n!README.md\nsecret/\nlogs/**\n!logs/keep.log\n");
  write("README.md", "r");
  write("NOTES.md", "n");
  write("app.txt", "a");
  write("secret/key", "k");
  write("logs/a.log", "l");
  write("logs/keep.log", "k");
  std::string out;
  ASSERT_EQ(build("-t built:ignore", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm built:ignore", &out), 0) << out;
  EXPECT_NE(out.find("/ctx/README.md"), std::string::npos) << out;
  EXPECT_NE(out.find("/ctx/app.txt"), std::string::npos) << out;
  EXPECT_NE(out.find("/ctx/logs/keep.log"), std::string::npos) << out;
  EXPECT_NE(out.find("/ctx/Dockerfile"), std::string::npos) << out;
  EXPECT_EQ(out.find("NOTES.md"), std::string::npos) << out;
  EXPECT_EQ(out.find("secret"), std::string::npos) << out;
  EXPECT_EQ(out.find("a.log"), std::string::npos) << out;

  // A Dockerfile's own ignore file ("<name>.dockerignore" beside it) replaces the context's.
  write("other.Dockerfile", "FROM berth-test/busybox\nCOPY . /ctx/\nCMD find /ctx -type f\n");
  write("other.Dockerfile.dockerignore", "*.txt\n");
  ASSERT_EQ(build("-f '" + (ctx_ / "other.Dockerfile").string() + "' -t built:ignore2", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm built:ignore2", &out), 0) << out;
  EXPECT_EQ(out.find("app.txt"), std::string::npos) << out;
  EXPECT_NE(out.find("NOTES.md"), std::string::npos) << out;
}

TEST_F(BuildTest, CacheMountSurvivesBetweenBuilds) {
  write("Dockerfile",
        "FROM berth-test/busybox\n"
        "RUN --mount=type=cache,target=/var/cache/count echo run >> /var/cache/count/runs && "
        "wc -l < /var/cache/count/runs > /runs\n"
        "CMD cat /runs\n");
  std::string out;
  ASSERT_EQ(build("-t built:cm", &out), 0) << out;
  ASSERT_EQ(build("--no-cache -t built:cm", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm built:cm", &out), 0) << out;
  EXPECT_EQ(out.substr(out.find_first_not_of(' ')), "2\n");
  // The cache mount's contents are not in the image.
  ASSERT_EQ(berth("container run --rm built:cm sh -c 'test -e /var/cache/count || echo absent'", &out), 0) << out;
  EXPECT_EQ(out, "absent\n");
}

}  // namespace berth::test
