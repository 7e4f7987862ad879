#pragma once
// The reaper of `berth test` (cli/compose_test.cpp): a detached berth ("berth __test-reaper")
// that takes a harness project down when its owner dies without having done so, SIGKILL
// included. In the spirit of Testcontainers' Ryuk, but per run and without a daemon:
//  - the owner starts it before `up`; it runs in a session of its own (setsid, double fork), so
//    a kill of the owner's process group (CI runners, Ctrl-C) does not reach it;
//  - it holds a pidfd of the owner and the read end of a pipe whose write end only the owner
//    holds (close-on-exec: neither CMD nor the containers inherit it);
//  - the owner writes one byte once the project is down (or deliberately kept): the reaper
//    exits. When the owner exits without writing it, the reaper becomes
//    `berth -p NAME down -v` of the project as its labels describe it, then it is gone.
#include <string>

namespace berth::cli {

class TestReaper {
 public:
  // Starts the reaper of project `project` in state root `root_flag` (as --root was given; empty:
  // the default). `scratch` is a directory it removes too (the ports file's).
  TestReaper(const std::string& root_flag, const std::string& project, const std::string& scratch);
  ~TestReaper();
  TestReaper(const TestReaper&) = delete;
  TestReaper& operator=(const TestReaper&) = delete;

  // The project is down or kept on purpose: the reaper exits without touching it.
  void release();

 private:
  int write_fd_ = -1;
};

// The hidden mode: "berth __test-reaper ROOT PROJECT SCRATCH PIDFD PIPEFD". Returns nullopt-like
// -1 when argv is not this mode.
int test_reaper_main(int argc, char** argv);

}  // namespace berth::cli
