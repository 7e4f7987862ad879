// One container cannot exhaust the host: a fork bomb meets the default pids limit, and a log
// flood meets the default rotation of the json log.
#include <filesystem>

#include "tests/integration/security/security_fixture.hpp"

namespace berth::test {
namespace {
namespace fs = std::filesystem;

class HostResources : public SecurityTest {
 protected:
  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
};

TEST_F(HostResources, DefaultPidsLimitStopsAForkBomb) {
  std::string id = run_probe("", "sleep 300");
  ASSERT_FALSE(id.empty());
  std::string dir = cgroup_dir(full_id(id), "pids");
  // Only with the limit in place is the bomb safe to set off.
  ASSERT_EQ(trim(read_text(dir + "/pids.max")), "2048");
  std::string out;
  ASSERT_EQ(berth("container rm -f " + id, &out), 0) << out;

  id = run_probe("", "sh -c " + quote("b() { b & b & wait; }; b"));
  ASSERT_FALSE(id.empty());
  dir = cgroup_dir(full_id(id), "pids");
  ASSERT_EQ(trim(read_text(dir + "/pids.max")), "2048");
  // The bomb reaches the limit: forks fail (pids.events counts them) and the count stays there.
  EXPECT_TRUE(poll_until([&] { return trim(read_text(dir + "/pids.events")) != "max 0"; }, std::chrono::seconds(60)))
      << read_text(dir + "/pids.current");
  EXPECT_LE(std::stoi(read_text(dir + "/pids.current")), 2048);
  EXPECT_EQ(berth("container rm -f " + id, &out), 0) << out;

  // -1 still asks for no limit.
  id = run_probe("--pids-limit -1", "sleep 300");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(trim(read_text(cgroup_dir(full_id(id), "pids") + "/pids.max")), "max");
}

TEST_F(HostResources, LogFloodIsRotatedByDefault) {
  // 40 MB of output: kept as at most 3 files of about 10 MiB.
  std::string id = run_probe("", "sh -c " + quote("yes 0123456789012345678901234567890123456789012345678 | head -c 40000000"));
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(wait_exited(id, std::chrono::seconds(120)));
  fs::path log = inspect(id).value("LogPath", "");
  ASSERT_FALSE(log.empty());
  std::uintmax_t total = 0;
  int files = 0;
  for (const auto& e : fs::directory_iterator(log.parent_path())) {
    if (e.path().filename().string().rfind(log.filename().string(), 0) != 0) continue;
    ++files;
    EXPECT_LE(e.file_size(), 10u * 1024 * 1024 + 4096) << e.path();
    total += e.file_size();
  }
  EXPECT_LE(files, 3);
  EXPECT_GE(total, 10u * 1024 * 1024);  // it did write, and rotated
  EXPECT_LE(total, 31u * 1024 * 1024);
  // The newest lines are still there for `logs`.
  std::string out;
  EXPECT_EQ(berth("container logs --tail 1 " + id, &out), 0);
  EXPECT_NE(out.find("0123456789"), std::string::npos) << out.substr(0, 200);
}

}  // namespace
}  // namespace berth::test
