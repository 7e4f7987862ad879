// The cgroup and /proc files `stats` reads, as the kernel writes them.
#include <gtest/gtest.h>

#include "engine/runtime/cgroup_usage.hpp"
#include "engine/runtime/net_dev.hpp"

namespace berth::engine {
namespace {

TEST(CgroupUsage, KeyedFilesKeepEveryNumericKey) {
  auto m = parse_keyed("usage_usec 1234567\nuser_usec 1000000\nsystem_usec 234567\nnr_periods 0\n");
  EXPECT_EQ(m.at("usage_usec"), 1234567u);
  EXPECT_EQ(m.at("system_usec"), 234567u);
  EXPECT_EQ(m.size(), 4u);
  EXPECT_TRUE(parse_keyed("").empty());
}

TEST(CgroupUsage, V2IoStatSumsEveryDevice) {
  auto [r, w] = parse_io_stat(
      "254:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"
      "8:0 rbytes=100 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");
  EXPECT_EQ(r, 4196u);
  EXPECT_EQ(w, 8192u);
}

TEST(CgroupUsage, V1BlkioSumsReadAndWriteNotTotal) {
  auto [r, w] = parse_blkio_service_bytes(
      "8:0 Read 4096\n8:0 Write 512\n8:0 Sync 4608\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 4608\n"
      "8:16 Read 10\n8:16 Write 20\nTotal 4638\n");
  EXPECT_EQ(r, 4106u);
  EXPECT_EQ(w, 532u);
}

TEST(CgroupUsage, NetDevSkipsLoopbackAndHeaders) {
  auto [rx, tx] = parse_net_dev(
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
      "    lo:    5000      50    0    0    0     0          0         0     5000      50    0    0    0     0       0          0\n"
      "  eth0:    1296      16    0    0    0     0          0         0      726       9    0    0    0     0       0          0\n"
      "  eth1:       4       1    0    0    0     0          0         0        6       1    0    0    0     0       0          0\n");
  EXPECT_EQ(rx, 1300u);
  EXPECT_EQ(tx, 732u);
}

}  // namespace
}  // namespace berth::engine
