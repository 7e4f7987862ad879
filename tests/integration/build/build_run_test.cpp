// Built images run with what the Dockerfile said: USER, WORKDIR, ENV, ENTRYPOINT/CMD; multi-stage
// builds from scratch with the busybox image as a stage; stages the target does not need skipped.
#include <fcntl.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "tests/integration/build/build_fixture.hpp"

namespace berth::test {

TEST_F(BuildTest, ConfigEffectsVisibleWhenTheImageRuns) {
  write("Dockerfile",
        "FROM berth-test/busybox\n"
        "ENV GREETING=hello APP_DIR=/srv/app\n"
        "WORKDIR $APP_DIR\n"
        "COPY --chown=app:app greet.sh .\n"
        "RUN chmod 0755 greet.sh && touch made-by-run\n"
        "USER app\n"
        "ENTRYPOINT [\"/srv/app/greet.sh\"]\n"
        "CMD [\"world\"]\n");
  write("greet.sh", "#!/bin/sh\necho \"$GREETING $1 as $(id -un) in $(pwd)\"; ls -ln greet.sh | awk '{print $3\":\"$4}'\n");
  std::string out;
  ASSERT_EQ(build("-t built:run", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm built:run", &out), 0) << out;
  EXPECT_NE(out.find("hello world as app in /srv/app"), std::string::npos) << out;
  EXPECT_NE(out.find("1000:1000"), std::string::npos) << out;  // --chown=app:app from the image's passwd
  ASSERT_EQ(berth("container run --rm built:run again", &out), 0) << out;
  EXPECT_NE(out.find("hello again as app"), std::string::npos) << out;
  ASSERT_EQ(berth("container run --rm --entrypoint ls built:run /srv/app", &out), 0) << out;
  EXPECT_NE(out.find("made-by-run"), std::string::npos) << out;
  // history in BuildKit's words
  ASSERT_EQ(berth("image history --no-trunc built:run", &out), 0) << out;
  EXPECT_NE(out.find("RUN /bin/sh -c chmod 0755 greet.sh && touch made-by-run # buildkit"), std::string::npos) << out;
  EXPECT_NE(out.find("WORKDIR /srv/app"), std::string::npos) << out;
}

TEST_F(BuildTest, MultiStageFromScratchWithBusyboxAsAStage) {
  write("Dockerfile",
        "FROM berth-test/busybox AS tools\n"
        "RUN echo built-in-tools > /made.txt\n"
        "FROM berth-test/busybox AS unused\n"
        "RUN echo this stage is not needed; exit 1\n"
        "FROM scratch\n"
        "COPY --from=tools /bin/busybox /bin/busybox\n"
        "COPY --from=tools /made.txt /etc/passwd /data/\n"
        "RUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo from-scratch > /data/x\"]\n"
        "ENTRYPOINT [\"/bin/busybox\"]\n"
        "CMD [\"cat\", \"/data/made.txt\", \"/data/x\"]\n");
  std::string out;
  ASSERT_EQ(build("-t built:scratch", &out), 0) << out;
  EXPECT_EQ(out.find("not needed"), std::string::npos) << "the unused stage ran:\n" << out;
  ASSERT_EQ(berth("container run --rm built:scratch", &out), 0) << out;
  EXPECT_NE(out.find("built-in-tools\nfrom-scratch"), std::string::npos) << out;
  // Only what the stages copied: scratch has no /bin/sh.
  ASSERT_EQ(berth("container run --rm built:scratch ls /bin", &out), 0) << out;
  EXPECT_EQ(out, "busybox\n");
  // --target builds the stage asked for and what it needs.
  ASSERT_NE(build("--target unused -t built:unused", &out), 0) << out;
  EXPECT_NE(out.find("Dockerfile:4: RUN"), std::string::npos) << out;
}

TEST_F(BuildTest, IndependentStagesBuildInParallel) {
  write("Dockerfile",
        "FROM berth-test/busybox AS a\n"
        "RUN date +%s > /start && sleep 2 && date +%s > /end\n"
        "FROM berth-test/busybox AS b\n"
        "RUN date +%s > /start && sleep 2 && date +%s > /end\n"
        "FROM berth-test/busybox\n"
        "COPY --from=a /start /a.start\n"
        "COPY --from=a /end /a.end\n"
        "COPY --from=b /start /b.start\n"
        "COPY --from=b /end /b.end\n"
        "CMD cat /a.start /a.end /b.start /b.end\n");
  std::string out;
  ASSERT_EQ(build("-t built:parallel", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm built:parallel", &out), 0) << out;
  long as, ae, bs, be;
  ASSERT_EQ(std::sscanf(out.c_str(), "%ld %ld %ld %ld", &as, &ae, &bs, &be), 4) << out;
  // The two RUNs overlapped in time: each started before the other ended.
  EXPECT_LT(bs, ae) << out;
  EXPECT_LT(as, be) << out;
}

}  // namespace berth::test

namespace berth::test {

// A RUN step's overlay is mounted "volatile" (its upper dir becomes a layer at once; unmounting
// it must not sync the whole filesystem), while a container of the built image gets the usual
// durable one; what the step wrote is in the image all the same.
TEST_F(BuildTest, RunStepOverlayIsVolatileAndItsWritesAreKept) {
  write("Dockerfile",
        "FROM berth-test/busybox\n"
        "RUN grep ' / ' /proc/self/mountinfo | grep -q volatile && echo kept > /made-in-volatile\n");
  std::string out;
  ASSERT_EQ(build("-t built:volatile", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm built:volatile cat /made-in-volatile", &out), 0) << out;
  EXPECT_EQ(out, "kept\n");
  ASSERT_EQ(berth("container run --rm built:volatile grep ' / ' /proc/self/mountinfo", &out), 0) << out;
  EXPECT_EQ(out.find("volatile"), std::string::npos) << out;
}

// A RUN step's command runs with the build process as its parent (Runtime::run_foreground), not
// under a detached monitor: no monitor to spawn, no log file written and followed. Its output
// still reaches the build's, stdout and stderr both, and the container is recorded as running
// meanwhile (its state names the command's pid).
TEST_F(BuildTest, RunStepIsAChildOfTheBuildWithoutMonitorOrLogFile) {
  write("Dockerfile", "FROM berth-test/busybox\nRUN echo to-out && echo to-err >&2 && sleep 3\n");
  std::string exe = std::string(BERTH_BINARY_DIR) + "/berth", root = root_.string(), ctx = ctx_.string();
  std::string log = (dir_ / "build.out").string();
  pid_t build = ::fork();
  ASSERT_GE(build, 0);
  if (build == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(exe.c_str(), exe.c_str(), "--root", root.c_str(), "image", "build", "--progress", "plain", "--network", "none",
            "-t", "built:fg", ctx.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // The step's container, once its state names the running command.
  std::string state, id;
  for (int i = 0; i < 400 && state.find("status=running") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    std::error_code ec;
    for (auto& e : fs::directory_iterator(root_ / "containers", ec)) {
      id = e.path().filename().string();
      std::ifstream in(e.path() / "state");
      state.assign(std::istreambuf_iterator<char>(in), {});
    }
  }
  ASSERT_NE(state.find("status=running"), std::string::npos) << state;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(state, m, std::regex("(^|\n)pid=(\\d+)"))) << state;
  std::ifstream proc("/proc/" + m[2].str() + "/status");
  std::string status((std::istreambuf_iterator<char>(proc)), {});
  EXPECT_NE(status.find("\nPPid:\t" + std::to_string(build) + "\n"), std::string::npos) << status;
  EXPECT_NE(state.find("monitor_pid=0"), std::string::npos) << state;
  EXPECT_FALSE(fs::exists(root_ / "containers" / id / (id + "-json.log")));
  int st = 0;
  ASSERT_EQ(::waitpid(build, &st, 0), build);
  std::ifstream in(log);
  std::string out((std::istreambuf_iterator<char>(in)), {});
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << out;
  EXPECT_NE(out.find("to-out"), std::string::npos) << out;
  EXPECT_NE(out.find("to-err"), std::string::npos) << out;
}

}  // namespace berth::test
