// Bad input: one clear line naming the Dockerfile and line, a non-zero exit, nothing left behind
// (checked by the fixture's TearDown) and no image tagged.
#include "tests/integration/build/build_fixture.hpp"

namespace berth::test {

namespace {

// The last line of the output (berth's error).
std::string last_line(const std::string& out) {
  auto end = out.find_last_not_of('\n');
  if (end == std::string::npos) return {};
  auto start = out.rfind('\n', end);
  return out.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

}  // namespace

class BuildErrors : public BuildTest {
 protected:
  // Builds with this Dockerfile, expects failure, returns berth's error line.
  std::string fails(const std::string& dockerfile) {
    write("Dockerfile", dockerfile);
    std::string out;
    EXPECT_NE(build("-t bad:image", &out), 0) << out;
    std::string tags;
    berth("image ls", &tags);
    EXPECT_EQ(tags.find("bad "), std::string::npos) << "a failed build tagged its image:\n" << tags;
    EXPECT_TRUE(nothing_left()) << leftovers_;
    output_ = out;
    return last_line(out);
  }
  std::string output_;
};

TEST_F(BuildErrors, MissingDockerfile) {
  std::string out;
  EXPECT_NE(build("", &out), 0);
  EXPECT_NE(last_line(out).find("failed to read dockerfile: open " + (ctx_ / "Dockerfile").string()), std::string::npos) << out;
  EXPECT_NE(build("-f " + (dir_ / "nope").string(), &out), 0);
  EXPECT_NE(last_line(out).find("nope: no such file"), std::string::npos) << out;
}

TEST_F(BuildErrors, UnknownInstruction) {
  EXPECT_EQ(fails("FROM berth-test/busybox\nRUN true\nCOPPY a b\n"), "berth: Dockerfile:3: unknown instruction: COPPY (did you mean COPY?)");
}

TEST_F(BuildErrors, CopySourceMissingOrOutsideTheContext) {
  EXPECT_EQ(fails("FROM berth-test/busybox\nCOPY nope /x\n"),
            "berth: Dockerfile:2: COPY: source nope not found in the build context (or excluded by .dockerignore)");
  EXPECT_EQ(fails("FROM berth-test/busybox\nCOPY ../root /x\n"), "berth: Dockerfile:2: COPY: source ../root is outside the build context");
  // A symlink to a host file resolves inside the context, where it names nothing.
  fs::create_symlink("/etc/passwd", ctx_ / "link");
  EXPECT_EQ(fails("FROM berth-test/busybox\nCOPY link /x\n"),
            "berth: Dockerfile:2: COPY: source link is a symbolic link that leads outside the build context or to nothing");
  // Inside a copied directory it stays a link: nothing of the host is read.
  fs::create_directories(ctx_ / "d");
  fs::create_symlink("../../../../../etc/shadow", ctx_ / "d" / "shadow");
  write("Dockerfile", "FROM berth-test/busybox\nCOPY d /d/\n");
  std::string out;
  ASSERT_EQ(build("-t ok:link", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm ok:link readlink /d/shadow", &out), 0) << out;
  EXPECT_EQ(out, "../../../../../etc/shadow\n");
}

TEST_F(BuildErrors, FromImageNotFound) {
  // Port 1 on loopback refuses at once: the pull fails without any network.
  auto line = fails("FROM localhost:1/no/such-image:1\nRUN true\n");
  EXPECT_EQ(line.rfind("berth: Dockerfile:1: FROM: image \"localhost:1/no/such-image:1\" is not in the store and could not be pulled", 0), 0u)
      << line;
}

TEST_F(BuildErrors, FailingRunShowsItsOutput) {
  auto line = fails("FROM berth-test/busybox\nRUN touch /made\nRUN echo the-output-of-the-step; exit 7\n");
  EXPECT_EQ(line,
            "berth: Dockerfile:3: RUN: process \"/bin/sh -c echo the-output-of-the-step; exit 7\" did not complete "
            "successfully: exit code: 7");
  EXPECT_NE(output_.find("the-output-of-the-step"), std::string::npos) << output_;
}

TEST_F(BuildErrors, BadSubstitutionNamesTheLine) {
  EXPECT_EQ(fails("FROM berth-test/busybox\nARG NEEDED\nWORKDIR /${NEEDED:?is required}\n"),
            "berth: Dockerfile:3: WORKDIR: failed to process \"/${NEEDED:?is required}\": NEEDED: is required");
}

TEST_F(BuildErrors, ArgUsedUnsetIsAWarning) {
  write("Dockerfile", "FROM berth-test/busybox\nARG VERSION\nENV APP_VERSION=$VERSION\n");
  std::string out;
  ASSERT_EQ(build("-t ok:warn", &out), 0) << out;
  EXPECT_NE(out.find("WARNING: Dockerfile:3: ENV uses \"VERSION\", which is not set"), std::string::npos) << out;
}

}  // namespace berth::test

namespace berth::test {

TEST_F(BuildErrors, InterruptedBuildLeavesNothing) {
  write("Dockerfile", "FROM berth-test/busybox\nRUN echo step-started; sleep 30\n");
  std::string out;
  // Interrupted once the step's container runs (its output shows it started).
  std::string cmd = berth_cmd() + "image build --progress plain -t bad:image '" + ctx_.string() + "' > '" +
                    (dir_ / "out").string() + "' 2>&1 & p=$!; for i in $(seq 100); do grep -qx '#[0-9]* [0-9.]* step-started' '" +
                    (dir_ / "out").string() + "' && break; sleep 0.1; done; kill -INT $p; wait $p; echo rc=$?";
  ASSERT_EQ(run_command(cmd, &out), 0) << out;
  EXPECT_EQ(out, "rc=130\n");
  std::string tags;
  berth("image ls", &tags);
  EXPECT_EQ(tags.find("bad "), std::string::npos) << tags;
}

}  // namespace berth::test

namespace berth::test {

// A build killed outright cannot clean up; the next build removes what it left.
TEST_F(BuildErrors, KilledBuildsLeftoversSweptByTheNextBuild) {
  write("Dockerfile", "FROM berth-test/busybox\nRUN echo step-started; sleep 30\n");
  std::string out;
  std::string cmd = berth_cmd() + "image build --progress plain '" + ctx_.string() + "' > '" + (dir_ / "out").string() +
                    "' 2>&1 & p=$!; for i in $(seq 100); do grep -qx '#[0-9]* [0-9.]* step-started' '" + (dir_ / "out").string() +
                    "' && break; sleep 0.1; done; kill -KILL $p; wait $p; echo rc=$?";
  ASSERT_EQ(run_command(cmd, &out), 0) << out;
  EXPECT_EQ(out, "rc=137\n");
  EXPECT_FALSE(nothing_left()) << "the killed build left nothing: this test checks nothing";
  write("Dockerfile", "FROM berth-test/busybox\nENV A=1\n");
  ASSERT_EQ(build("", &out), 0) << out;
}

}  // namespace berth::test
