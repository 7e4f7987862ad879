// Hostile or broken input: a missing image, a command that is not there, a bad user, a bad name.
// Each is one clear line with Docker's exit code where Docker has one, and nothing is left.
#include <sys/mount.h>

#include <filesystem>
#include <fstream>

#include "tests/support/runtime_fixture.hpp"
#include "tests/support/test_image.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class RuntimeErrors : public RuntimeTest {
 protected:
  void expect_nothing_left() {
    EXPECT_TRUE(all_ids().empty());
    std::error_code ec;
    EXPECT_TRUE(!fs::exists(root() / "containers", ec) || fs::is_empty(root() / "containers", ec))
        << "state dirs left in " << root() / "containers";
    EXPECT_TRUE(!fs::exists(root() / "names", ec) || fs::is_empty(root() / "names", ec)) << "names left";
  }
};

TEST_F(RuntimeErrors, MissingImage) {
  std::string out;
  EXPECT_EQ(berth("container run nowhere/nothing:1 true", &out), 1);
  EXPECT_NE(out.find("image not found: nowhere/nothing:1"), std::string::npos) << out;
  EXPECT_EQ(lines_of(out).size(), 1u) << out;
  expect_nothing_left();
}

TEST_F(RuntimeErrors, CommandNotFoundIs127WithDockersMessage) {
  std::string out;
  EXPECT_EQ(berth("container run " + image() + " no-such-command arg", &out), 127);
  EXPECT_NE(out.find("exec: \"no-such-command\": executable file not found in $PATH"), std::string::npos) << out;
  EXPECT_EQ(lines_of(out).size(), 1u) << out;
  expect_nothing_left();

  EXPECT_EQ(berth("container run -d " + image() + " /bin/no-such-file", &out), 127);
  EXPECT_NE(out.find("/bin/no-such-file"), std::string::npos) << out;
  EXPECT_NE(out.find("no such file or directory"), std::string::npos) << out;
  expect_nothing_left();

  EXPECT_EQ(berth("container run -d " + image() + " /etc/passwd", &out), 126);
  EXPECT_NE(out.find("permission denied"), std::string::npos) << out;
  expect_nothing_left();
}

TEST_F(RuntimeErrors, FailedStartOfACreatedContainerLeavesItCreatedWithNoProcess) {
  std::string out, err;
  ASSERT_EQ(berth_split("container create " + image() + " no-such-command", &out, &err), 0) << err;
  std::string id = lines_of(out).back();
  EXPECT_EQ(berth("container start " + id, &out), 1) << out;  // `start` lists failures, exit 1
  EXPECT_NE(out.find("executable file not found"), std::string::npos) << out;
  auto st = inspect(id)["State"];
  EXPECT_EQ(st.value("Status", ""), "created") << st.dump();
  EXPECT_EQ(st.value("Pid", -1), 0);
  EXPECT_NE(st.value("Error", "").find("executable file not found"), std::string::npos) << st.dump();
  int mon = monitor_pid(id);
  EXPECT_TRUE(poll_until([&] { return !process_alive(mon); }, std::chrono::seconds(5))) << "monitor " << mon << " stayed";
  for (const char* c : {"memory", "pids", "cpu", "freezer", ""}) {
    fs::path procs = fs::path("/sys/fs/cgroup") / c / "berth" / id / "cgroup.procs";
    if (fs::exists(procs)) {
      EXPECT_EQ(read_text(procs), "") << procs;
    }
  }
  ASSERT_EQ(berth("container rm " + id, &out), 0) << out;
  EXPECT_EQ(leftovers(id, 0, mon), "");
  expect_nothing_left();
}

// The monitor starts the init vfork-style: an init program that cannot be executed is reported
// by the child before it exits, and that message must reach the user.
TEST_F(RuntimeErrors, InitProgramThatCannotBeExecutedIsOneClearError) {
  std::string out;
  std::string env = "BERTH_EXE=/nonexistent/berth-init BERTH_MONITOR=" + std::string(BERTH_BINARY_DIR) + "/berth-monitor ";
  EXPECT_EQ(run_command(env + berth_exe() + " --root " + quote(root().string()) + " container run -d " + image() + " true", &out),
            125);
  EXPECT_NE(out.find("exec /nonexistent/berth-init: No such file or directory"), std::string::npos) << out;
  EXPECT_EQ(lines_of(out).size(), 1u) << out;
  expect_nothing_left();
}

// The record of a new container is not fsync'ed: after a power loss it may be empty. Such a
// record is not a container and does not keep its name taken.
TEST_F(RuntimeErrors, AnEmptiedRecordIsNoContainerAndFreesItsName) {
  std::string out, err;
  ASSERT_EQ(berth_split("container create --name rec-lost " + image() + " true", &out, &err), 0) << err;
  std::string lost = lines_of(out).back();
  { std::ofstream(root() / "containers" / lost / "container.json", std::ios::trunc); }
  EXPECT_EQ(all_ids().size(), 0u);
  ASSERT_EQ(berth_split("container create --name rec-lost " + image() + " true", &out, &err), 0) << err;
  std::string second = lines_of(out).back();
  EXPECT_NE(second, lost);
  EXPECT_EQ(inspect("rec-lost").value("Id", ""), second);
  ASSERT_EQ(berth("container rm rec-lost", &out), 0) << out;
  // what a power loss would have left of the first one (its network namespace is on /run)
  fs::path netns = root() / "run" / "netns" / lost;
  ::umount2(netns.c_str(), MNT_DETACH);
  fs::remove(netns);
  fs::remove_all(root() / "run" / "containers" / lost);
  fs::remove_all(root() / "containers" / lost);
  expect_nothing_left();
}

TEST_F(RuntimeErrors, BadUserOrGroup) {
  std::string out;
  EXPECT_NE(berth("container run -d -u ghost " + image() + " true", &out), 0);
  EXPECT_NE(out.find("unable to find user ghost: no matching entries in passwd file"), std::string::npos) << out;
  EXPECT_EQ(lines_of(out).size(), 1u) << out;
  expect_nothing_left();
  EXPECT_NE(berth("container run -d -u app:ghosts " + image() + " true", &out), 0);
  EXPECT_NE(out.find("unable to find group ghosts"), std::string::npos) << out;
  expect_nothing_left();
}

TEST_F(RuntimeErrors, BadNamesAndUsage) {
  std::string out;
  EXPECT_NE(berth("container run -d --name 'bad name' " + image() + " true", &out), 0);
  EXPECT_NE(out.find("invalid container name"), std::string::npos) << out;
  EXPECT_NE(berth("container run -d --name ../escape " + image() + " true", &out), 0);
  EXPECT_NE(out.find("invalid container name"), std::string::npos) << out;
  EXPECT_NE(berth("container run --rm --restart always " + image() + " true", &out), 0);
  EXPECT_NE(out.find("conflicting options"), std::string::npos) << out;
  expect_nothing_left();
  EXPECT_NE(berth("container inspect no-such-container", &out), 0);
  EXPECT_NE(out.find("No such container: no-such-container"), std::string::npos) << out;
  EXPECT_NE(berth("container rm no-such-container", &out), 0);
  EXPECT_NE(berth("container exec no-such-container true", &out), 0);
}

}  // namespace
}  // namespace berth::test
