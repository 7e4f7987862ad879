// group_add against the container's /etc/group, and the namespace modes the spec accepts (what
// joins them is tested in tests/integration/orchestrate/service_keys_test.cpp, as root).
#include <gtest/gtest.h>

#include "base/error.hpp"
#include "engine/monitor/monitor_config.hpp"
#include "engine/runtime/namespace_modes.hpp"
#include "engine/runtime/spec_json.hpp"
#include "engine/runtime/user_lookup.hpp"

using namespace berth;
using namespace berth::engine;

TEST(GroupAdd, NamesAndGidsAreAddedOnce) {
  const std::string group = "root:x:0:\naudio:x:29:app\nvideo:x:44:\n";
  ExecUser u = resolve_user("app", std::string("app:x:1000:1000::/home/app:/bin/sh\n"), group);
  EXPECT_EQ(u.groups, (std::vector<gid_t>{29}));
  add_groups(u, {"video", "1234", "audio", "1234"}, group);
  EXPECT_EQ(u.groups, (std::vector<gid_t>{29, 44, 1234}));
  EXPECT_THROW(add_groups(u, {"nosuch"}, group), UserError);
  ExecUser none;
  add_groups(none, {"7"}, std::nullopt);  // no /etc/group: gids still work
  EXPECT_EQ(none.groups, (std::vector<gid_t>{7}));
}

TEST(NamespaceModes, Validity) {
  for (const char* ok : {"", "host", "private", "shareable", "none", "container:abc"})
    EXPECT_TRUE(namespace_mode_valid(ok)) << ok;
  for (const char* bad : {"container:", "service:x", "hots"}) EXPECT_FALSE(namespace_mode_valid(bad)) << bad;
  EXPECT_TRUE(namespace_mode_private("shareable"));
  EXPECT_FALSE(namespace_mode_private("host"));
  EXPECT_EQ(namespace_mode_container("container:abc"), "abc");
}

TEST(NamespaceModes, SpecRoundTripAndChecks) {
  ContainerSpec s;
  s.argv = {"true"};
  s.lower_dirs = {"/tmp"};
  s.pid_mode = "container:abc";
  s.ipc_mode = "host";
  s.uts_mode = "host";
  s.group_add = {"audio"};
  ContainerSpec back = spec_from_json(spec_to_json(s));
  EXPECT_EQ(back.pid_mode, "container:abc");
  EXPECT_EQ(back.ipc_mode, "host");
  EXPECT_EQ(back.uts_mode, "host");
  EXPECT_EQ(back.group_add, s.group_add);
  EXPECT_NO_THROW(validate_spec(s));
  auto error_of = [&] {
    try {
      validate_spec(s);
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  s.hostname = "box";  // the host's (or the joined container's) name
  EXPECT_NE(error_of().find("conflicting options: hostname and the UTS mode host"), std::string::npos) << error_of();
  s.hostname.clear();
  s.pid_mode = "service:x";  // compose resolves it to container:ID first
  EXPECT_NE(error_of().find("invalid pid mode \"service:x\""), std::string::npos) << error_of();
}

TEST(NamespaceModes, MonitorConfigCarriesThem) {
  monitor::Config c;
  c.pid_ns = "/proc/12/ns/pid";
  c.ipc_ns = "host";
  auto back = monitor::parse_config(monitor::serialize_config(c));
  EXPECT_EQ(back.pid_ns, "/proc/12/ns/pid");
  EXPECT_EQ(back.ipc_ns, "host");
  EXPECT_EQ(back.uts_ns, "");
}
