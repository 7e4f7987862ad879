// Life of a container: create/start, surviving the CLI, stop (grace period, then SIGKILL), kill,
// zombies under `--init`, restart policies, and nothing left on the host after rm.
#include <filesystem>
#include <thread>

#include "tests/support/runtime_fixture.hpp"
#include "tests/support/test_image.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

class RuntimeLifecycle : public RuntimeTest {
 protected:
  int restart_count(const std::string& id) { return inspect(id)["State"].value("RestartCount", -1); }
  int count_in_logs(const std::string& id, const std::string& word) {
    std::string out;
    berth("container logs " + id, &out);
    int n = 0;
    for (const auto& l : lines_of(out)) n += l == word;
    return n;
  }
};

TEST_F(RuntimeLifecycle, CreateThenStartAndStates) {
  std::string out, err;
  ASSERT_EQ(berth_split("container create --name lc-one " + image() + " sleep 300", &out, &err), 0) << err;
  std::string id = lines_of(out).back();
  EXPECT_EQ(status("lc-one"), "created");
  EXPECT_EQ(inspect(id)["State"].value("Pid", -1), 0);
  berth_split("container ls", &out, &err);
  EXPECT_EQ(out.find("lc-one"), std::string::npos) << "ls without -a lists only running containers";
  berth_split("container ls -a", &out, &err);
  EXPECT_NE(out.find("lc-one"), std::string::npos) << out;

  ASSERT_EQ(berth("container start lc-one", &out), 0) << out;
  EXPECT_EQ(status(id), "running");
  int pid = inspect(id)["State"].value("Pid", 0);
  EXPECT_TRUE(process_alive(pid));
  ASSERT_EQ(berth("container start lc-one", &out), 0) << "starting a running container is a no-op: " << out;
  EXPECT_EQ(inspect(id)["State"].value("Pid", 0), pid);

  // a second container cannot take the name
  EXPECT_NE(berth("container create --name lc-one " + image() + " true", &out), 0);
  EXPECT_NE(out.find("already in use"), std::string::npos) << out;
  EXPECT_EQ(all_ids().size(), 1u);
}

TEST_F(RuntimeLifecycle, ContainerSurvivesTheCliAndRmLeavesNothing) {
  std::string id = run_detached("--name lc-survivor", "sleep 300");
  ASSERT_FALSE(id.empty());
  // The CLI has exited; the command runs on under its monitor, which is not the CLI.
  auto j = inspect(id);
  int pid = j["State"].value("Pid", 0);
  int mon = monitor_pid(id);
  ASSERT_TRUE(process_alive(pid));
  ASSERT_TRUE(process_alive(mon));
  std::string status_text = read_text("/proc/" + std::to_string(pid) + "/status");
  EXPECT_NE(status_text.find("PPid:\t" + std::to_string(mon) + "\n"), std::string::npos) << status_text;
  EXPECT_EQ(read_text("/proc/" + std::to_string(mon) + "/comm"), "berth-monitor\n");
  // The monitor left the caller's cgroup for berth's own (base/daemon_cgroup.hpp): a systemd
  // session or unit that stops does not take it (or the container) along.
  std::string mon_cgroup = read_text("/proc/" + std::to_string(mon) + "/cgroup");
  EXPECT_NE(mon_cgroup.find(":/berth/supervisors\n"), std::string::npos) << mon_cgroup;
  EXPECT_EQ(read_text("/proc/self/cgroup").find(":/berth/supervisors\n"), std::string::npos) << "the caller stays";
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(status(id), "running");
  EXPECT_EQ(exec(id, "echo alive"), "alive\n");

  // What exists while it runs, so that the checks after rm can fail.
  ASSERT_TRUE(fs::exists(root() / "containers" / id));
  ASSERT_NE(read_text("/proc/self/mountinfo").find(id), std::string::npos) << "the netns bind mount";
  bool any_cgroup = false;
  for (const char* c : {"memory", "pids", "cpu", "freezer", ""})
    any_cgroup |= fs::exists(fs::path("/sys/fs/cgroup") / c / "berth" / id);
  ASSERT_TRUE(any_cgroup);

  std::string out;
  EXPECT_NE(berth("container rm lc-survivor", &out), 0) << "a running container needs -f";
  EXPECT_NE(out.find("stop the container before removing or force remove"), std::string::npos) << out;
  EXPECT_TRUE(process_alive(pid));
  ASSERT_EQ(berth("container rm -f lc-survivor", &out), 0) << out;
  EXPECT_EQ(leftovers(id, pid, mon), "");
  EXPECT_FALSE(fs::exists(root() / "names" / "lc-survivor"));
  EXPECT_TRUE(all_ids().empty());
  // the name is free again
  std::string again = run_detached("--name lc-survivor", "true");
  EXPECT_FALSE(again.empty());
}

TEST_F(RuntimeLifecycle, StopKillsAfterTheGracePeriodWhenSigtermIsIgnored) {
  // The shell ignores SIGTERM (and so does its sleep: PID 1 has no handler for it either).
  std::string stubborn = run_detached("--init", "sh -c " + quote("trap '' TERM; while true; do sleep 1; done"));
  ASSERT_FALSE(stubborn.empty());
  int pid = inspect(stubborn)["State"].value("Pid", 0);
  auto t0 = Clock::now();
  std::string out;
  ASSERT_EQ(berth("container stop -t 2 " + stubborn, &out), 0) << out;
  auto took = Clock::now() - t0;
  EXPECT_GE(took, milliseconds(1900));
  EXPECT_LT(took, seconds(8));
  EXPECT_EQ(status(stubborn), "exited");
  EXPECT_EQ(inspect(stubborn)["State"].value("ExitCode", 0), 137);
  EXPECT_FALSE(process_alive(pid));

  // One that honours SIGTERM stops at once, with 143.
  std::string polite = run_detached("--init", "sleep 300");
  ASSERT_FALSE(polite.empty());
  t0 = Clock::now();
  ASSERT_EQ(berth("container stop -t 10 " + polite, &out), 0) << out;
  EXPECT_LT(Clock::now() - t0, seconds(5));
  EXPECT_EQ(inspect(polite)["State"].value("ExitCode", 0), 143);
}

// Without an init, PID 1 is the command: one with no SIGTERM handler (sleep) never receives the
// signal (the kernel discards it for a namespace's init), so stop kills it at once instead of
// waiting the grace period; one with a handler still gets SIGTERM and ends on its own.
TEST_F(RuntimeLifecycle, StopKillsAtOnceAPid1ThatCannotReceiveTheSignal) {
  std::string deaf = run_detached("", "sleep 300");
  ASSERT_FALSE(deaf.empty());
  auto t0 = Clock::now();
  std::string out;
  ASSERT_EQ(berth("--debug container stop -t 10 " + deaf, &out), 0) << out;
  EXPECT_LT(Clock::now() - t0, seconds(3));
  EXPECT_NE(out.find("no handler for SIGTERM"), std::string::npos) << out;
  EXPECT_EQ(inspect(deaf)["State"].value("ExitCode", 0), 137);

  std::string handles = run_detached("", "sh -c " + quote("trap 'exit 7' TERM; while true; do sleep 0.1; done"));
  ASSERT_FALSE(handles.empty());
  std::string caught = "grep -q '^SigCgt:.*[4-7c-f]...$' /proc/" + std::to_string(inspect(handles)["State"].value("Pid", 0)) + "/status";
  for (int i = 0; i < 100 && run_command(caught) != 0; ++i)
    std::this_thread::sleep_for(milliseconds(20));  // until the shell has set its trap (bit 15)
  ASSERT_EQ(berth("container stop -t 10 " + handles, &out), 0) << out;
  EXPECT_EQ(inspect(handles)["State"].value("ExitCode", 0), 7);
}

TEST_F(RuntimeLifecycle, KillSendsTheGivenSignal) {
  std::string id = run_detached("--init", "sleep 300");
  ASSERT_FALSE(id.empty());
  std::string out;
  ASSERT_EQ(berth("container kill -s 15 " + id, &out), 0) << out;
  ASSERT_TRUE(wait_exited(id));
  EXPECT_EQ(inspect(id)["State"].value("ExitCode", 0), 143);
  EXPECT_NE(berth("container kill " + id, &out), 0) << "killing an exited container is an error";
  EXPECT_NE(out.find("not running"), std::string::npos) << out;
}

TEST_F(RuntimeLifecycle, OrphansAreReapedUnderInitAndPileUpWithout) {
  // Each ( ... &) leaves an orphaned sleep that is re-parented to PID 1 and exits a second later.
  std::string script = "for i in 1 2 3; do (sleep 1 &); done; exec sleep 300";
  std::string with_init = run_detached("--init", "sh -c " + quote(script));
  std::string without = run_detached("", "sh -c " + quote(script));
  ASSERT_FALSE(with_init.empty());
  ASSERT_FALSE(without.empty());
  // "<state> <comm>" of every process in the container
  auto procs = [&](const std::string& id) {
    return lines_of(exec(id, "sh -c " + quote("cd /proc && for p in [0-9]*; do cut -d' ' -f2,3 $p/stat; done")));
  };
  auto count = [&](const std::string& id, const std::string& what) {
    int n = 0;
    for (const auto& l : procs(id)) n += l.find(what) != std::string::npos;
    return n;
  };
  // The sleep that replaced the shell as PID 1 (no --init) never waits: the orphans stay zombies.
  EXPECT_TRUE(poll_until([&] { return count(without, ") Z") == 3; }, seconds(10))) << testing::PrintToString(procs(without));
  // Under the reaper they ran, exited and were reaped.
  EXPECT_TRUE(poll_until([&] { return count(with_init, "(sleep) S") == 1; }, seconds(10))) << testing::PrintToString(procs(with_init));
  EXPECT_EQ(count(with_init, ") Z"), 0) << testing::PrintToString(procs(with_init));
  EXPECT_NE(exec(with_init, "cat /proc/1/cmdline").find("berth-init"), std::string::npos);
  EXPECT_EQ(status(with_init), "running");
}

TEST_F(RuntimeLifecycle, OnFailureRestartsUpToTheLimit) {
  std::string id = run_detached("--restart on-failure:2", "sh -c " + quote("echo run; exit 3"));
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(poll_until([&] { return restart_count(id) == 2 && status(id) == "exited"; }, seconds(30)))
      << inspect(id).dump();
  std::this_thread::sleep_for(milliseconds(1500));  // longer than the next back-off would be
  EXPECT_EQ(status(id), "exited");
  EXPECT_EQ(restart_count(id), 2);
  EXPECT_EQ(inspect(id)["State"].value("ExitCode", 0), 3);
  EXPECT_EQ(count_in_logs(id, "run"), 3);

  // success is not a failure: no restart
  std::string ok = run_detached("--restart on-failure", "sh -c " + quote("echo run; exit 0"));
  ASSERT_TRUE(wait_exited(ok));
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(status(ok), "exited");
  EXPECT_EQ(restart_count(ok), 0);
  EXPECT_EQ(count_in_logs(ok, "run"), 1);
}

TEST_F(RuntimeLifecycle, AlwaysRestartsUntilAnExplicitStop) {
  std::string id = run_detached("--restart always", "sh -c " + quote("echo run; sleep 0.2"));
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(poll_until([&] { return restart_count(id) >= 2; }, seconds(30))) << inspect(id).dump();
  int mon = monitor_pid(id);
  EXPECT_TRUE(process_alive(mon)) << "one monitor supervises every run";
  std::string out;
  ASSERT_EQ(berth("container stop -t 1 " + id, &out), 0) << out;
  EXPECT_EQ(status(id), "exited");
  int count = restart_count(id);
  int runs = count_in_logs(id, "run");
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(status(id), "exited") << "the policy undid an explicit stop";
  EXPECT_EQ(restart_count(id), count);
  EXPECT_EQ(count_in_logs(id, "run"), runs);
  EXPECT_FALSE(process_alive(mon));

  // A long-running one is stopped for good as well, and starts again on request.
  std::string svc = run_detached("--restart always", "sleep 300");
  ASSERT_EQ(berth("container stop -t 1 " + svc, &out), 0) << out;
  std::this_thread::sleep_for(seconds(1));
  EXPECT_EQ(status(svc), "exited");
  ASSERT_EQ(berth("container start " + svc, &out), 0) << out;
  EXPECT_EQ(status(svc), "running");
}

}  // namespace
}  // namespace berth::test
