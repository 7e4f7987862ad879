// container stats: the numbers come from the container's own cgroup (v1 files on the host, v2
// files in the VM runs of scripts/test.sh) and its network namespace.
#include <sstream>

#include "tests/support/runtime_fixture.hpp"

namespace berth::test {
namespace {

class RuntimeStats : public RuntimeTest {
 protected:
  nlohmann::json stats_of(const std::string& id) {
    std::string out;
    EXPECT_EQ(berth("container stats --no-stream --format json " + id, &out), 0) << out;
    auto ls = lines_of(out);
    if (ls.size() != 1) {
      ADD_FAILURE() << out;
      return {};
    }
    return nlohmann::json::parse(ls[0]);
  }
  // "12.5MiB / 64MiB" -> bytes of either side.
  static double bytes(const std::string& s) {
    std::istringstream in(s);
    double v = 0;
    std::string unit;
    in >> v >> unit;
    const std::pair<const char*, double> units[] = {{"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"B", 1.0}};
    for (auto [u, f] : units)
      if (unit.rfind(u, 0) == 0) return v * f;
    return -1;
  }
};

TEST_F(RuntimeStats, MemoryLimitPidsAndCpuOfABusyContainer) {
  // A busy loop, and dd holding a 24 MiB block it filled from /dev/zero and cannot write to a pipe
  // that sleep never drains.
  std::string id = run_detached("-m 64m --pids-limit 50",
                                "sh -c 'while :; do :; done & dd if=/dev/zero bs=24M count=1 | sleep 300 & wait'");
  ASSERT_FALSE(id.empty());
  // sh, the loop's subshell, dd and sleep: at least four processes.
  nlohmann::json s;
  ASSERT_TRUE(poll_until([&] {
    s = stats_of(id);
    return s.is_object() && std::stoi(s.value("PIDs", "0")) >= 4 && bytes(s.value("MemUsage", "")) > 20.0 * 1048576;
  }, std::chrono::seconds(20))) << s.dump();
  std::string mem = s.value("MemUsage", "");
  auto slash = mem.find(" / ");
  ASSERT_NE(slash, std::string::npos) << mem;
  EXPECT_EQ(mem.substr(slash + 3), "64MiB") << mem;  // the container's own limit, not the host's
  EXPECT_LT(bytes(mem.substr(0, slash)), 64.0 * 1048576) << mem;
  double cpu = std::stod(s.value("CPUPerc", "0%"));
  EXPECT_GT(cpu, 20.0) << s.dump();  // the loop uses a CPU (two cores, shared with other tests)
  EXPECT_EQ(s.value("Name", ""), inspect(id).value("Name", "")) << s.dump();
  berth("container rm -f " + id);
}

TEST_F(RuntimeStats, AStoppedContainerShowsZerosAndTheTableHasDockersColumns) {
  std::string id = run_detached("", "true");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(wait_exited(id));
  auto s = stats_of(id);
  EXPECT_EQ(s.value("PIDs", ""), "0") << s.dump();
  EXPECT_EQ(s.value("CPUPerc", ""), "0.00%") << s.dump();
  std::string out;
  ASSERT_EQ(berth("container stats --no-stream " + id, &out), 0) << out;
  auto ls = lines_of(out);
  ASSERT_EQ(ls.size(), 2u) << out;
  for (const char* col : {"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"})
    EXPECT_NE(ls[0].find(col), std::string::npos) << col << "\n" << out;
  EXPECT_EQ(ls[1].rfind(id.substr(0, 12), 0), 0u) << out;
  // An unknown template field is one clear error before any sampling.
  EXPECT_NE(berth("container stats --no-stream --format '{{.Memory}}' " + id, &out), 0);
  EXPECT_NE(out.find(".Memory"), std::string::npos) << out;
  berth("container rm -f " + id);
}

}  // namespace
}  // namespace berth::test
