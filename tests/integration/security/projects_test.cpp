// Another project's network, with real containers brought up by compose: each project has a
// bridge of its own, and nothing of project B reaches project A's containers, while A's own
// services do. (network_guard_test.cpp tries the same with hand-built frames.)
#include <filesystem>
#include <fstream>

#include "tests/integration/security/security_fixture.hpp"

namespace berth::test {
namespace {
namespace fs = std::filesystem;

class OtherProjects : public SecurityTest {
 protected:
  std::string project(const std::string& name, const std::string& services) {
    fs::path dir = root().parent_path() / name;
    fs::create_directories(dir);
    std::ofstream(dir / "compose.yaml") << "services:\n" << services;
    dirs_.push_back(dir);
    return "-p " + name + " --project-directory " + quote(dir.string()) + " ";
  }
  void TearDown() override {
    std::string out;
    for (const auto& d : dirs_) {
      EXPECT_EQ(berth("-p " + d.filename().string() + " --project-directory " + quote(d.string()) + " down", &out), 0) << out;
      fs::remove_all(d);
    }
    SecurityTest::TearDown();
  }
  std::vector<fs::path> dirs_;
};

std::string service(const std::string& name, const std::string& command) {
  return "  " + name + ":\n    image: " + std::string(kProbeImage) + "\n    init: true\n    command: [\"sh\", \"-c\", \"" +
         command + "\"]\n";
}

TEST_F(OtherProjects, CannotReachAnotherProjectsContainers) {
  std::string a = project("secproja", service("srv", "echo secret > /tmp/index.html; exec httpd -f -p 80 -h /tmp") +
                                          service("peer", "exec sleep 300"));
  std::string b = project("secprojb", service("cli", "exec sleep 300"));
  std::string out;
  ASSERT_EQ(berth(a + "up -d", &out), 0) << out;
  ASSERT_EQ(berth(b + "up -d", &out), 0) << out;
  std::string ip;
  ASSERT_EQ(berth(a + "exec -T srv hostname -i", &ip), 0) << ip;
  ip = lines_of(ip).empty() ? "" : lines_of(ip).front();
  ASSERT_FALSE(ip.empty());
  // Its own project reaches it (so the server answers)...
  bool served = poll_until([&] { return berth(a + "exec -T peer timeout 3 wget -q -O - http://" + ip + "/", &out) == 0; },
                           std::chrono::seconds(10));
  EXPECT_TRUE(served) << out;
  EXPECT_EQ(out, "secret\n");
  // ...another project does not, by address or by name (busybox wget -T crashes: `timeout` instead).
  EXPECT_NE(berth(b + "exec -T cli timeout 3 wget -q -O - http://" + ip + "/", &out), 0) << out;
  EXPECT_EQ(out.find("secret"), std::string::npos) << out;
  EXPECT_NE(berth(b + "exec -T cli timeout 3 wget -q -O - http://srv/", &out), 0) << out;
  EXPECT_EQ(out.find("secret"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::test
