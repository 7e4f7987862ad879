#include "engine/runtime/rlimits.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>

namespace berth::engine {
namespace {

const InitRlimit* find(const std::vector<InitRlimit>& v, const std::string& name) {
  auto it = std::find_if(v.begin(), v.end(), [&](const InitRlimit& l) { return l.name == name; });
  return it == v.end() ? nullptr : &*it;
}

std::int64_t value(rlim_t v) { return v == RLIM_INFINITY ? -1 : static_cast<std::int64_t>(v); }

TEST(BaselineRlimits, NofileIsDockersWithinOwnHardLimit) {
  struct rlimit own {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &own), 0);
  auto base = baseline_rlimits({});
  const InitRlimit* n = find(base, "nofile");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->soft, 1024);
  EXPECT_EQ(n->hard, own.rlim_max == RLIM_INFINITY ? 524288 : std::min<std::int64_t>(524288, value(own.rlim_max)));
}

TEST(BaselineRlimits, OthersAreThoseOfPid1ClampedToOwnHardLimit) {
  // Lower this process's own soft stack limit: the baseline must not follow it.
  struct rlimit saved {}, host {};
  ASSERT_EQ(::getrlimit(RLIMIT_STACK, &saved), 0);
  if (::prlimit(1, RLIMIT_STACK, nullptr, &host) != 0) GTEST_SKIP() << "cannot read PID 1's limits";
  struct rlimit low = {1234 * 1024, saved.rlim_max};
  ASSERT_EQ(::setrlimit(RLIMIT_STACK, &low), 0);
  auto base = baseline_rlimits({});
  ::setrlimit(RLIMIT_STACK, &saved);
  const InitRlimit* s = find(base, "stack");
  ASSERT_NE(s, nullptr);
  EXPECT_NE(s->soft, 1234 * 1024);
  if (saved.rlim_max == RLIM_INFINITY || (host.rlim_cur != RLIM_INFINITY && host.rlim_cur <= saved.rlim_max)) {
    EXPECT_EQ(s->soft, value(host.rlim_cur));
  }
  EXPECT_EQ(base.size(), 16u);  // every resource berth knows by name
}

TEST(BaselineRlimits, NamesTheSpecSetAreLeftToIt) {
  auto base = baseline_rlimits({{"nofile", 10, 20}, {"core", 0, 0}});
  EXPECT_EQ(find(base, "nofile"), nullptr);
  EXPECT_EQ(find(base, "core"), nullptr);
  EXPECT_NE(find(base, "stack"), nullptr);
}

}  // namespace
}  // namespace berth::engine
