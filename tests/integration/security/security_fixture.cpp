#include "tests/integration/security/security_fixture.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "tests/support/test_image.hpp"

namespace berth::test {
namespace fs = std::filesystem;

void SecurityTest::SetUp() {
  RuntimeTest::SetUp();
  if (IsSkipped()) return;
  fs::path extra = root().parent_path() / "probe-image";
  fs::create_directories(extra);
  fs::copy_file(ESCAPE_PROBE, extra / "probe", fs::copy_options::overwrite_existing);
  fs::permissions(extra / "probe", fs::perms(0755));
  ensure_busybox_image(root(), kProbeImage, extra);
}

std::string SecurityTest::run_probe(const std::string& flags, const std::string& command) {
  std::string out;
  int rc = berth("container run -d " + flags + " " + kProbeImage + " " + command, &out);
  EXPECT_EQ(rc, 0) << out;
  auto ls = lines_of(out);
  if (rc != 0 || ls.empty() || ls.back().size() != 64) return "";
  return ls.back();
}

std::string SecurityTest::berth_command(const std::string& args) const {
  return berth_exe() + " --root " + quote(root().string()) + " " + args;
}

int SecurityTest::shell(const std::string& script, std::string* out) { return run_command("sh -c " + quote(script), out); }

std::string SecurityTest::cgroup_dir(const std::string& full_id, const std::string& controller) {
  fs::path v1 = fs::path("/sys/fs/cgroup") / controller / "berth" / full_id;
  std::error_code ec;
  if (!controller.empty() && fs::exists(v1, ec)) return v1.string();
  for (const char* base : {"/sys/fs/cgroup/unified/berth/", "/sys/fs/cgroup/berth/"})
    if (fs::exists(base + full_id, ec)) return base + full_id;
  return v1.string();
}

}  // namespace berth::test
