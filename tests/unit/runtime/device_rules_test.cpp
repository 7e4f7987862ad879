// The device policy's rules: the devices.allow syntax, the --device / compose `devices:` syntax,
// Docker's default list, and the list a container gets (privileged, --device, extra rules).
#include "engine/runtime/device_rules.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>

#include "base/error.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::engine {
namespace {

TEST(DeviceRules, ParsesTheDevicesAllowSyntax) {
  EXPECT_EQ(parse_device_rule("c 1:3 rwm"), (DeviceRule{'c', 1, 3, "rwm", true}));
  EXPECT_EQ(parse_device_rule("b *:* m"), (DeviceRule{'b', -1, -1, "m", true}));
  EXPECT_EQ(parse_device_rule("c 136:* rw"), (DeviceRule{'c', 136, -1, "rw", true}));
  EXPECT_EQ(parse_device_rule("c 10:200 wr"), (DeviceRule{'c', 10, 200, "rw", true})) << "access is put in rwm order";
  EXPECT_EQ(parse_device_rule("a"), (DeviceRule{'a', -1, -1, "rwm", true}));
  EXPECT_EQ(parse_device_rule("a *:* rwm"), (DeviceRule{'a', -1, -1, "rwm", true}));
  EXPECT_EQ(parse_device_rule("  c  7:0  r "), (DeviceRule{'c', 7, 0, "r", true}));
  EXPECT_EQ(parse_device_rule("c 1:3"), (DeviceRule{'c', 1, 3, "rwm", true})) << "access defaults to rwm as the kernel's";
}

TEST(DeviceRules, RefusesWhatIsNotARule) {
  for (const char* bad : {"", "x 1:3 rwm", "c", "c 1 rwm", "c 1:3 rwx", "c 1:3 rr", "c a:3 r", "c 1:-3 r", "c 1:3 r extra",
                          "a 1:3 r", "cc 1:3 r", "c 1:3:4 r", "c 99999999999:1 r"}) {
    try {
      parse_device_rule(bad);
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find("invalid device cgroup rule \"" + std::string(bad) + "\""), std::string::npos)
          << e.what();
    }
  }
}

TEST(DeviceRules, PrintsTheKernelsForm) {
  EXPECT_EQ(to_string(DeviceRule{'c', 1, 3, "rwm", true}), "c 1:3 rwm");
  EXPECT_EQ(to_string(DeviceRule{'b', -1, -1, "m", true}), "b *:* m");
  EXPECT_EQ(to_string(DeviceRule{'c', 136, -1, "rwm", true}), "c 136:* rwm");
  EXPECT_EQ(to_string(parse_device_rule("a")), "a *:* rwm");
}

TEST(DeviceRules, DefaultIsDockersAllowList) {
  std::vector<std::string> got;
  for (const auto& r : default_device_rules()) got.push_back(to_string(r));
  std::vector<std::string> want = {"c *:* m",    "b *:* m",    "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",   "c 1:8 rwm",
                                   "c 1:9 rwm",  "c 5:0 rwm",  "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm"};
  EXPECT_EQ(got, want);
  for (const auto& r : default_device_rules()) {
    EXPECT_TRUE(r.allow);
    EXPECT_FALSE(r.type == 'c' && r.major == 10 && r.minor == 229) << "Docker denies /dev/fuse by default";
    EXPECT_FALSE(r.type == 'c' && r.major == 1 && r.minor == 11) << "/dev/kmsg";
    EXPECT_FALSE(r.type == 'b' && r.access != "m") << "no block device may be opened";
  }
}

TEST(DeviceRules, ParsesDeviceMappings) {
  auto m = parse_device_mapping("/dev/fuse");
  EXPECT_EQ(m.host_path, "/dev/fuse");
  EXPECT_EQ(m.container_path, "/dev/fuse");
  EXPECT_EQ(m.permissions, "rwm");
  m = parse_device_mapping("/dev/sda:/dev/xvda");
  EXPECT_EQ(m.container_path, "/dev/xvda");
  EXPECT_EQ(m.permissions, "rwm");
  m = parse_device_mapping("/dev/sda:/dev/xvda:r");
  EXPECT_EQ(m.container_path, "/dev/xvda");
  EXPECT_EQ(m.permissions, "r");
  m = parse_device_mapping("/dev/snd:wr");  // Docker: a second field without a slash is the permissions
  EXPECT_EQ(m.container_path, "/dev/snd");
  EXPECT_EQ(m.permissions, "rw");
  for (const char* bad : {"", "dev/fuse", "/dev/a:/dev/b:rwx", "/dev/a:dev/b:r", "/dev/a:/dev/b:r:x", "/dev/a:", "/dev/a:x"})
    EXPECT_THROW(parse_device_mapping(bad), UserError) << bad;
}

TEST(DeviceRules, AContainerGetsTheDefaultsItsDevicesAndItsRules) {
  ContainerSpec spec;
  EXPECT_EQ(container_device_rules(spec), default_device_rules());

  struct stat st;
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  spec.devices = {"/dev/null:/dev/mynull:r"};
  spec.device_cgroup_rules = {"c 1:11 rw", "b 7:* r"};
  auto rules = container_device_rules(spec);
  ASSERT_EQ(rules.size(), default_device_rules().size() + 3);
  EXPECT_EQ(to_string(rules[rules.size() - 3]), "c " + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev)) + " r");
  EXPECT_EQ(to_string(rules[rules.size() - 2]), "c 1:11 rw");
  EXPECT_EQ(to_string(rules.back()), "b 7:* r");

  spec.devices = {"/etc/hostname"};
  EXPECT_THROW(container_device_rules(spec), UserError) << "not a device node";
  spec.devices = {"/dev/no-such-device-here"};
  EXPECT_THROW(container_device_rules(spec), UserError);

  spec.privileged = true;  // privileged: every device, whatever else is asked
  rules = container_device_rules(spec);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(to_string(rules[0]), "a *:* rwm");
}

}  // namespace
}  // namespace berth::engine
