// Values that berth writes as lines of a container's /etc/hosts, /etc/hostname or
// /etc/resolv.conf may not carry control characters: a newline in extra_hosts wrote a line of the
// user's choosing into /etc/hosts. Refused with the file, line and key, before anything is made.
#include <filesystem>
#include <fstream>

#include "tests/integration/security/security_fixture.hpp"

namespace berth::test {
namespace {
namespace fs = std::filesystem;

class GeneratedFiles : public SecurityTest {};

TEST_F(GeneratedFiles, ComposeValuesWithControlCharactersAreRefusedAtTheirLine) {
  fs::path dir = root().parent_path() / "ctl-project";
  fs::create_directories(dir);
  struct Case {
    std::string yaml, key;
    int line;
  };
  const std::string head = "services:\n  app:\n    image: " + std::string(kProbeImage) + "\n";
  for (const Case& c : {Case{"    extra_hosts:\n      - \"db:10.0.0.1\\n6.6.6.6 evil\"\n", "extra_hosts", 5},
                        Case{"    extra_hosts:\n      \"db\\nevil\": 10.0.0.1\n", "extra_hosts", 5},
                        Case{"    hostname: \"web\\n6.6.6.6 evil\"\n", "hostname", 4},
                        Case{"    dns_search:\n      - \"example.com\\nnameserver 6.6.6.6\"\n", "dns_search", 5},
                        Case{"    dns_opt: [\"ndots:1\\rx\"]\n", "dns_opt", 4}}) {
    std::ofstream(dir / "compose.yaml") << head << c.yaml;
    std::string out;
    int rc = berth("-p secctl --project-directory " + quote(dir.string()) + " up -d", &out);
    EXPECT_NE(rc, 0) << c.yaml;
    EXPECT_NE(out.find("compose.yaml:" + std::to_string(c.line)), std::string::npos) << c.yaml << out;
    EXPECT_NE(out.find(c.key), std::string::npos) << out;
    EXPECT_NE(out.find("control characters"), std::string::npos) << out;
    EXPECT_TRUE(all_ids().empty()) << c.yaml;
  }
  fs::remove_all(dir);
}

TEST_F(GeneratedFiles, HostnameWithNewlineIsRefused) {
  std::string out;
  int rc = berth("container run -d --hostname " + quote("web\n6.6.6.6 evil") + " " + kProbeImage + " sleep 1", &out);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("control character"), std::string::npos) << out;
  EXPECT_TRUE(all_ids().empty());
}

}  // namespace
}  // namespace berth::test
