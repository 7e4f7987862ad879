// The device policy (issue 23, hole 2): a default container may make device nodes (CAP_MKNOD, as
// Docker allows) but open only Docker's defaults (null, zero, full, random, urandom, tty, console,
// ptmx, pts, tun), whether a node was made with mknod or shipped in the image, even as root with
// every capability; --device and --device-cgroup-rule grant one; privileged grants all. Nothing is
// ever written to a host device: writes are tried only where the policy must refuse them (or on
// /dev/null and /dev/full); granted devices are opened without reading (dd count=0), except the
// kernel log's records read by the privileged container.
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/error.hpp"
#include "tests/support/runtime_fixture.hpp"
#include "tests/support/test_image.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

bool v1_devices_controller() {
  std::error_code ec;
  return fs::exists("/sys/fs/cgroup/devices/devices.list", ec);
}

// One ustar header block for a device node or directory (no data follows). `type`: '3' char,
// '4' block, '5' directory.
std::string tar_header(const std::string& name, char type, unsigned mode, unsigned major, unsigned minor) {
  std::string h(512, '\0');
  auto put = [&](std::size_t off, std::size_t len, const std::string& v) { std::memcpy(&h[off], v.data(), std::min(len, v.size())); };
  auto oct = [](unsigned long v, int width) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%0*lo", width - 1, v);
    return std::string(buf);
  };
  put(0, 100, name);
  put(100, 8, oct(mode, 8));
  put(108, 8, oct(0, 8));
  put(116, 8, oct(0, 8));
  put(124, 12, oct(0, 12));
  put(136, 12, oct(1700000000, 12));
  put(148, 8, std::string(8, ' '));
  h[156] = type;
  put(257, 6, std::string("ustar\0", 6));
  put(263, 2, "00");
  put(265, 32, "root");
  put(297, 32, "root");
  put(329, 8, oct(major, 8));
  put(337, 8, oct(minor, 8));
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  char chk[8];
  std::snprintf(chk, sizeof chk, "%06o", sum);
  std::memcpy(&h[148], chk, 7);  // six digits and a NUL; the eighth byte stays a space
  return h;
}

class RuntimeDevices : public RuntimeTest {
 protected:
  void TearDown() override {
    RuntimeTest::TearDown();
    if (!image_with_nodes_.empty()) {
      std::string out;
      EXPECT_EQ(berth("image rm " + image_with_nodes_, &out), 0) << out;
    }
    if (!work_.empty()) fs::remove_all(work_);
  }

  // A busybox image whose layer ships /nodes/kmsg (c 1:11) and /nodes/loop0 (b 7:0), mode 0666.
  // The tar entries are written directly: no device node is made on the host.
  std::string make_image_with_nodes() {
    char tmpl[] = "/tmp/berth-devimage-XXXXXX";
    if (!::mkdtemp(tmpl)) return "";
    work_ = tmpl;
    {
      std::ofstream nodes(work_ / "nodes.tar", std::ios::binary);
      nodes << tar_header("./nodes/", '5', 0755, 0, 0) << tar_header("./nodes/kmsg", '3', 0666, 1, 11)
            << tar_header("./nodes/loop0", '4', 0666, 7, 0) << std::string(1024, '\0');
    }
    std::string r = (work_ / "rootfs").string(), out;
    std::string cmd = "set -e; mkdir -p " + r + "/bin " + r + "/tmp " + r + "/proc " + r + "/sys " + r + "/dev " + r + "/etc; " +
                      "cp /bin/busybox " + r + "/bin/busybox; for a in sh cat head dd ls mknod echo sleep; do ln -s busybox " + r +
                      "/bin/$a; done; tar --numeric-owner -C " + r + " -cf " + (work_ / "image.tar").string() + " .; tar -Af " +
                      (work_ / "image.tar").string() + " " + (work_ / "nodes.tar").string();
    if (run_command(cmd, &out) != 0) {
      ADD_FAILURE() << out;
      return "";
    }
    image_with_nodes_ = "berth-test/devnodes:latest";
    if (berth("image import --change 'CMD [\"/bin/sh\"]' --change 'ENV PATH=/bin' " + (work_ / "image.tar").string() + " " +
                  image_with_nodes_,
              &out) != 0) {
      ADD_FAILURE() << out;
      image_with_nodes_.clear();
    }
    return image_with_nodes_;
  }

  std::string devices_list(const std::string& id) {
    return read_text(fs::path("/sys/fs/cgroup/devices/berth") / inspect(id).value("Id", "") / "devices.list");
  }

  fs::path work_;
  std::string image_with_nodes_;
};

TEST_F(RuntimeDevices, ADefaultContainerOpensOnlyDockersDefaultDevices) {
  std::string id = run_detached("", "sleep 300");
  ASSERT_FALSE(id.empty());
  int rc = 0;
  std::string out = exec(id, "sh -c 'cat /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom >/dev/null && "
                             "head -c 4 /dev/random >/dev/null && echo x > /dev/full; echo done'", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("done"), std::string::npos) << out;
  EXPECT_NE(out.find("No space left on device"), std::string::npos) << "/dev/full opened for writing: " << out;

  // mknod is allowed (CAP_MKNOD and "m" on every device, as Docker) ...
  out = exec(id, "sh -c 'mknod /tmp/kmsg c 1 11 && mknod /tmp/loop0 b 7 0 && echo made'", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("made"), std::string::npos) << out;
  // ... opening what was made is not: neither the kernel log nor a block device.
  out = exec(id, "sh -c 'echo berth-device-policy-test > /tmp/kmsg'", &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("Operation not permitted"), std::string::npos) << out;
  out = exec(id, "head -c 512 /tmp/loop0", &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("Operation not permitted"), std::string::npos) << out;
  out = exec(id, "head -c 1 /tmp/kmsg", &rc);
  EXPECT_NE(rc, 0) << out;
  // Not even with the host's node numbers of /dev/fuse, which Docker denies by default.
  out = exec(id, "sh -c 'mknod /tmp/fuse c 10 229 && cat /tmp/fuse'", &rc);
  EXPECT_NE(out.find("Operation not permitted"), std::string::npos) << out;

  std::string host_log;
  if (run_command("dmesg 2>/dev/null", &host_log) == 0) {
    EXPECT_EQ(host_log.find("berth-device-policy-test"), std::string::npos) << "the container wrote into the host's kernel log";
  }

  if (v1_devices_controller()) {
    std::string list = devices_list(id);
    EXPECT_EQ(list.find("a *:* rwm"), std::string::npos) << list;
    for (const char* rule : {"c *:* m", "b *:* m", "c 1:3 rwm", "c 1:9 rwm", "c 136:* rwm", "c 10:200 rwm"})
      EXPECT_NE(list.find(rule), std::string::npos) << rule << " missing from " << list;
  }
}

TEST_F(RuntimeDevices, NodesShippedInAnImageCannotBeOpenedEvenWithoutCapabilities) {
  std::string img = make_image_with_nodes();
  ASSERT_FALSE(img.empty());
  std::string out;
  ASSERT_EQ(berth("container run -d --cap-drop ALL " + img + " sleep 300", &out), 0) << out;
  std::string id = lines_of(out).back();
  int rc = 0;
  out = exec(id, "ls -ln /nodes", &rc);
  EXPECT_NE(out.find("crw-rw-rw-"), std::string::npos) << "the image's nodes: " << out;
  EXPECT_NE(out.find("brw-rw-rw-"), std::string::npos) << "the image's nodes: " << out;
  out = exec(id, "sh -c 'echo berth-device-policy-test > /nodes/kmsg'", &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("Operation not permitted"), std::string::npos) << out;
  out = exec(id, "head -c 512 /nodes/loop0", &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("Operation not permitted"), std::string::npos) << out;
  out = exec(id, "cat /dev/null", &rc);
  EXPECT_EQ(rc, 0) << out;
  std::string host_log;
  if (run_command("dmesg 2>/dev/null", &host_log) == 0) {
    EXPECT_EQ(host_log.find("berth-device-policy-test"), std::string::npos) << "the container wrote into the host's kernel log";
  }
}

// Opening is what the policy decides; `dd count=0` opens the node and reads nothing. Reading
// /dev/kmsg would need CAP_SYSLOG as well, so the granted devices here are /dev/loop-control
// (10:237, opening it does nothing) and loop block devices (b 7:*, not read).
TEST_F(RuntimeDevices, DeviceGrantsOneNodeWithItsPermissions) {
  std::error_code ec;
  if (!fs::exists("/dev/loop-control", ec)) GTEST_SKIP() << "no /dev/loop-control on this host";
  std::string id = run_detached("--device /dev/loop-control:/dev/lc:r --device /dev/null:/dev/null2:r", "sleep 300");
  ASSERT_FALSE(id.empty());
  int rc = 0;
  std::string out = exec(id, "ls -l /dev/lc /dev/null2", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out.rfind("c", 0), 0u) << out;
  out = exec(id, "dd if=/dev/lc of=/dev/null count=0", &rc);
  EXPECT_EQ(rc, 0) << "opening the granted device: " << out;
  out = exec(id, "cat /dev/null2", &rc);
  EXPECT_EQ(rc, 0) << out;
  // r only: opening it for writing is refused.
  out = exec(id, "dd if=/dev/zero of=/dev/lc count=0", &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("Operation not permitted"), std::string::npos) << out;
  // Other devices stay denied.
  out = exec(id, "sh -c 'mknod /tmp/loop0 b 7 0 && dd if=/tmp/loop0 of=/dev/null count=0'", &rc);
  EXPECT_NE(out.find("Operation not permitted"), std::string::npos) << out;
  out = exec(id, "ls /dev/kmsg /dev/loop0 /dev/loop-control", &rc);
  EXPECT_NE(rc, 0) << "only the granted nodes are made: " << out;

  // A path that is not a device node is refused, and nothing is left of the container.
  EXPECT_NE(berth("container run -d --device /etc/hostname " + image() + " true", &out), 0);
  EXPECT_NE(out.find("not a device node"), std::string::npos) << out;
  EXPECT_NE(berth("container run -d --device /dev/null:/dev/n:rwx " + image() + " true", &out), 0);
  EXPECT_NE(out.find("invalid device"), std::string::npos) << out;
  auto ids = all_ids();
  EXPECT_EQ(ids.size(), 1u);
}

TEST_F(RuntimeDevices, DeviceCgroupRuleAllowsNodesTheContainerMakes) {
  std::string id = run_detached("--device-cgroup-rule 'b 7:* r'", "sleep 300");
  ASSERT_FALSE(id.empty());
  int rc = 0;
  // ENXIO (no such loop device on this host) is fine too: the policy let the open through.
  std::string out = exec(id, "sh -c 'mknod /tmp/loop0 b 7 0 && dd if=/tmp/loop0 of=/dev/null count=0'", &rc);
  EXPECT_EQ(out.find("Operation not permitted"), std::string::npos) << out;
  out = exec(id, "dd if=/dev/zero of=/tmp/loop0 count=0", &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("Operation not permitted"), std::string::npos) << "r only: " << out;
  out = exec(id, "sh -c 'mknod /tmp/kmsg c 1 11 && echo berth-device-policy-test > /tmp/kmsg'", &rc);
  EXPECT_NE(out.find("Operation not permitted"), std::string::npos) << out;

  // The policy survives a restart (the cgroup is set up again).
  ASSERT_EQ(berth("container restart -t 1 " + id, &out), 0) << out;
  out = exec(id, "sh -c 'mknod /tmp/k2 c 1 11 && echo berth-device-policy-test > /tmp/k2'", &rc);
  EXPECT_NE(out.find("Operation not permitted"), std::string::npos) << out;
  out = exec(id, "sh -c 'mknod /tmp/loop1 b 7 1 && dd if=/tmp/loop1 of=/dev/null count=0'", &rc);
  EXPECT_EQ(out.find("Operation not permitted"), std::string::npos) << out;

  EXPECT_NE(berth("container run -d --device-cgroup-rule 'c 1 rwm' " + image() + " true", &out), 0);
  EXPECT_NE(out.find("invalid device cgroup rule"), std::string::npos) << out;
}

TEST_F(RuntimeDevices, PrivilegedGetsEveryHostDevice) {
  std::string id = run_detached("--privileged", "sleep 300");
  ASSERT_FALSE(id.empty());
  int rc = 0;
  std::string out = exec(id, "ls -l /dev/kmsg", &rc);
  EXPECT_EQ(rc, 0) << "the host's nodes are copied: " << out;
  out = exec(id, "dd if=/dev/kmsg of=/dev/null bs=8192 count=1", &rc);
  EXPECT_EQ(rc, 0) << out;
  std::error_code ec;
  if (fs::exists("/dev/loop0", ec)) {
    out = exec(id, "sh -c 'ls -l /dev/loop0 && head -c 0 /dev/loop0 && echo opened'", &rc);
    EXPECT_NE(out.find("opened"), std::string::npos) << out;
  }
  out = exec(id, "sh -c 'ls /dev/pts/ptmx && cat /dev/null && echo ok'", &rc);
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
  if (v1_devices_controller()) {
    EXPECT_NE(devices_list(id).find("a *:* rwm"), std::string::npos);
  }
}

}  // namespace
}  // namespace berth::test
