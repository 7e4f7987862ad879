// Bad network input through `berth up`: one clear error line, and nothing of the project left
// (no container, no network record, no bridge, no nft table).
#include <gtest/gtest.h>

#include "network/naming.hpp"
#include "network/netlink.hpp"
#include "tests/integration/network/net_fixture.hpp"
#include "tests/integration/orchestrate/project_fixture.hpp"

namespace berth::test {
namespace {

class UpBadInput : public ProjectTest {
 protected:
  void SetUp() override {
    ProjectTest::SetUp();
    if (IsSkipped()) return;
    third_ = std::to_string(20 + std::random_device{}() % 200);
  }
  void expect_nothing_left() {
    EXPECT_EQ(ids(), "");
    std::string out;
    berth_root("container ls -a -q", &out);
    EXPECT_EQ(out, "");
    EXPECT_FALSE(fs::exists(root_ / "networks" / (project_ + "_default.json")));
    std::string bridge = network::bridge_name(root_, project_ + "_default");
    EXPECT_FALSE(network::Netlink().ifindex(bridge).has_value()) << bridge;
    EXPECT_FALSE(nft_table_exists(network::table_name(bridge))) << bridge;
  }
  // The last line of the output: the error as the user sees it.
  static std::string last_line(std::string out) {
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
  }

  std::string third_;
};

TEST_F(UpBadInput, InvalidStaticAddress) {
  write("services:\n"
        "  web:\n"
        "    image: berth-examples/busybox:latest\n"
        "    command: [sleep, '300']\n"
        "    networks:\n"
        "      default:\n"
        "        ipv4_address: 10.231." + third_ + ".300\n"
        "networks:\n"
        "  default:\n"
        "    ipam:\n"
        "      config: [{subnet: 10.231." + third_ + ".0/24}]\n");
  std::string out;
  EXPECT_NE(berth("up -d", &out), 0) << out;
  EXPECT_NE(last_line(out).find("10.231." + third_ + ".300"), std::string::npos) << out;
  expect_nothing_left();
}

TEST_F(UpBadInput, StaticAddressOutsideTheSubnet) {
  write("services:\n"
        "  web:\n"
        "    image: berth-examples/busybox:latest\n"
        "    command: [sleep, '300']\n"
        "    networks:\n"
        "      default:\n"
        "        ipv4_address: 10.232." + third_ + ".5\n"
        "networks:\n"
        "  default:\n"
        "    ipam:\n"
        "      config: [{subnet: 10.231." + third_ + ".0/24}]\n");
  std::string out;
  EXPECT_NE(berth("up -d", &out), 0) << out;
  EXPECT_NE(last_line(out).find("10.232." + third_ + ".5 is outside the network's subnet 10.231." + third_ + ".0/24"),
            std::string::npos)
      << out;
  expect_nothing_left();
}

TEST_F(UpBadInput, TwoNetworksWithTheSameSubnet) {
  write("services:\n"
        "  web:\n"
        "    image: berth-examples/busybox:latest\n"
        "    command: [sleep, '300']\n"
        "    networks: [default, other]\n"
        "networks:\n"
        "  default:\n"
        "    ipam:\n"
        "      config: [{subnet: 10.231." + third_ + ".0/24}]\n"
        "  other:\n"
        "    ipam:\n"
        "      config: [{subnet: 10.231." + third_ + ".0/24}]\n");
  std::string out;
  EXPECT_NE(berth("up -d", &out), 0) << out;
  EXPECT_NE(last_line(out).find("overlaps 10.231." + third_ + ".0/24"), std::string::npos) << out;
  expect_nothing_left();
  EXPECT_FALSE(fs::exists(root_ / "networks" / (project_ + "_other.json")));
  EXPECT_FALSE(network::Netlink().ifindex(network::bridge_name(root_, project_ + "_other")).has_value());
}

// A taken host port is found before anything is made, and the error names the holder.
TEST_F(UpBadInput, HostPortHeldByAProcess) {
  uint16_t port = free_ports();
  HeldPort held("tcp", "127.0.0.1", port);
  write("services:\n"
        "  web:\n"
        "    image: berth-examples/busybox:latest\n"
        "    command: [sleep, '300']\n"
        "    ports: ['127.0.0.1:" + std::to_string(port) + ":80']\n");
  std::string out;
  EXPECT_NE(berth("up -d", &out), 0) << out;
  EXPECT_NE(last_line(out).find("127.0.0.1:" + std::to_string(port) + "/tcp"), std::string::npos) << out;
  EXPECT_NE(last_line(out).find("sleep (pid " + std::to_string(held.pid()) + ")"), std::string::npos) << out;
  EXPECT_EQ(out.find("Created"), std::string::npos) << "made something first:\n" << out;
  expect_nothing_left();
}

}  // namespace
}  // namespace berth::test
