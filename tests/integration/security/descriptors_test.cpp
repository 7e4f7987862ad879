// Hole 1 of the runc CVE-2024-21626 class: descriptors open in whatever runs berth must not reach
// the monitor, the container's processes or exec'd processes. The caller here is a shell that did
// `exec 7</etc 8>>FILE` first, as an attacker-controlled wrapper or a careless script would.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/security/security_fixture.hpp"

namespace berth::test {
namespace {
namespace fs = std::filesystem;

class LeakedDescriptors : public SecurityTest {
 protected:
  void SetUp() override {
    SecurityTest::SetUp();
    marker_ = root().parent_path() / "host-marker";
    std::ofstream(marker_) << "host\n";
  }
  void TearDown() override {
    SecurityTest::TearDown();
    std::error_code ec;
    fs::remove(marker_, ec);
  }
  // `berth ARGS` from a shell holding the host's /etc on fd 7 and a host file on fd 8.
  int leaky_berth(const std::string& args, std::string* out) {
    return shell("exec 7</etc 8>>" + quote(marker_.string()) + "; " + berth_command(args), out);
  }
  // Targets of the descriptors above 2 of a host process.
  static std::vector<std::string> host_fds(int pid) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
      if (std::stoi(e.path().filename().string()) <= 2) continue;
      out.push_back(e.path().filename().string() + " -> " + fs::read_symlink(e.path(), ec).string());
    }
    return out;
  }
  fs::path marker_;
};

TEST_F(LeakedDescriptors, DetachedContainerAndItsMonitorHoldNone) {
  std::string out;
  ASSERT_EQ(leaky_berth("container run -d " + std::string(kProbeImage) + " sleep 300", &out), 0) << out;
  std::string id = lines_of(out).back();
  // From inside: the command (PID 1) and an exec'd process see only their stdio.
  EXPECT_EQ(exec(id, "/probe fds 1"), "clean\n");
  // The attack of the report: the host's /etc through PID 1's fd 7, and a write through fd 8.
  EXPECT_NE(exec(id, "/probe open-read /proc/1/fd/7/shadow"), "ok\n");
  EXPECT_NE(exec(id, "/probe open-write /proc/1/fd/8"), "ok\n");
  // From the host: the container's init and its monitor hold nothing from the caller.
  auto j = inspect(id);
  int pid = j["State"].value("Pid", 0);
  EXPECT_TRUE(host_fds(pid).empty()) << testing::PrintToString(host_fds(pid));
  for (const auto& fd : host_fds(monitor_pid(j.value("Id", ""))))
    EXPECT_TRUE(fd.find(" -> /etc") == std::string::npos && fd.find(marker_.string()) == std::string::npos) << fd;
  EXPECT_EQ(read_text(marker_), "host\n");
}

TEST_F(LeakedDescriptors, ExecdProcessesHoldNone) {
  std::string id = run_probe("", "sleep 300");
  ASSERT_FALSE(id.empty());
  std::string out;
  EXPECT_EQ(leaky_berth("container exec " + id + " /probe fds", &out), 0) << out;
  EXPECT_EQ(out, "clean\n");
  // -i keeps the caller's stdin; nothing else comes along.
  EXPECT_EQ(leaky_berth("container exec -i " + id + " /probe fds </dev/null", &out), 0) << out;
  EXPECT_EQ(out, "clean\n");
}

TEST_F(LeakedDescriptors, ForegroundRunAndInitModeHoldNone) {
  std::string out;
  EXPECT_EQ(leaky_berth("container run --rm " + std::string(kProbeImage) + " /probe fds", &out), 0) << out;
  EXPECT_EQ(out, "clean\n");
  // With --init, PID 1 is berth's reaper for the container's whole life.
  ASSERT_EQ(leaky_berth("container run -d --init " + std::string(kProbeImage) + " sleep 300", &out), 0) << out;
  std::string id = lines_of(out).back();
  int pid = inspect(id)["State"].value("Pid", 0);
  EXPECT_TRUE(host_fds(pid).empty()) << testing::PrintToString(host_fds(pid));
  EXPECT_EQ(exec(id, "/probe fds"), "clean\n");
}

TEST_F(LeakedDescriptors, ComposeServicesHoldNone) {
  fs::path dir = root().parent_path() / "fd-project";
  fs::create_directories(dir);
  std::ofstream(dir / "compose.yaml") << "services:\n  app:\n    image: " << kProbeImage
                                      << "\n    command: sleep 300\n    network_mode: none\n    stop_signal: SIGKILL\n";
  std::string out, project = "-p secfds --project-directory " + quote(dir.string()) + " ";
  ASSERT_EQ(leaky_berth(project + "up -d", &out), 0) << out;
  EXPECT_EQ(leaky_berth(project + "exec -T app /probe fds 1", &out), 0) << out;
  EXPECT_EQ(out, "clean\n");
  EXPECT_EQ(berth(project + "down", &out), 0) << out;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace berth::test
