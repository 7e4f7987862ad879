// What a layer holds survives unpacking: owners, modes, times, xattrs, hardlinks, symlinks,
// devices, FIFOs; whiteouts become overlayfs whiteouts that really hide lower files; compressed
// layers are detected by content.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/sha256.hpp"
#include "engine/image/image_store.hpp"
#include "engine/image/layer_unpack.hpp"
#include "tar_builder.hpp"
#include "tests/support/privileged.hpp"

namespace fs = std::filesystem;
using berth::test::TarBuilder;

namespace {

class Unpack : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("berth-unpack-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    fs::create_directories(base_);
  }
  void TearDown() override {
    ::umount2((base_ / "mnt").c_str(), MNT_DETACH);
    fs::remove_all(base_);
  }
  berth::engine::UnpackResult unpack(const std::string& data, const fs::path& dest, bool digest = false) {
    fs::create_directories(dest);
    fs::path tar = base_ / "in.tar";
    std::ofstream(tar, std::ios::binary) << data;
    int fd = ::open(tar.c_str(), O_RDONLY | O_CLOEXEC);
    berth::engine::UnpackOptions o;
    o.compute_digest = digest;
    auto r = berth::engine::unpack_layer(fd, dest, o);
    ::close(fd);
    return r;
  }
  fs::path base_;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_F(Unpack, PreservesMetadataAndSpecialFiles) {
  BERTH_REQUIRE_ROOT();
  TarBuilder t;
  t.dir("etc", 0755)
      .file("etc/conf", "hello", 04755, 1000, 1001, {{"user.berth", "v1"}}, 1500000000)
      .dir("home/app", 0700, 1000, 1000)
      .hardlink("etc/conf-link", "etc/conf")
      .symlink("bin", "usr/bin")
      .device("dev/null", AE_IFCHR, 1, 3, 0666)
      .device("dev/sda", AE_IFBLK, 8, 0, 0660)
      .device("run/fifo", AE_IFIFO, 0, 0, 0600);
  fs::path d = base_ / "layer";
  auto r = unpack(t.finish(), d);
  struct stat st;
  ASSERT_EQ(::lstat((d / "etc/conf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);  // set-uid kept: mode applied after chown
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1500000000);
  EXPECT_EQ(st.st_nlink, 2u);
  char xv[16] = {};
  EXPECT_EQ(::getxattr((d / "etc/conf").c_str(), "user.berth", xv, sizeof xv), 2);
  EXPECT_STREQ(xv, "v1");
  struct stat st2;
  ASSERT_EQ(::lstat((d / "etc/conf-link").c_str(), &st2), 0);
  EXPECT_EQ(st2.st_ino, st.st_ino);
  ASSERT_EQ(::lstat((d / "home/app").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(fs::read_symlink(d / "bin"), "usr/bin");
  ASSERT_EQ(::lstat((d / "dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, ::makedev(1, 3));
  ASSERT_EQ(::lstat((d / "dev/sda").c_str(), &st), 0);
  EXPECT_TRUE(S_ISBLK(st.st_mode));
  ASSERT_EQ(::lstat((d / "run/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(slurp(d / "etc/conf"), "hello");
  EXPECT_EQ(r.size, 5);
}

TEST_F(Unpack, CompressionDetectedByContentAndDiffIdComputed) {
  BERTH_REQUIRE_ROOT();
  auto build = [](TarBuilder::Compression c) {
    TarBuilder t(c);
    t.file("a", std::string(100000, 'a')).file("b/c", "c");
    return t.finish();
  };
  std::string plain = build(TarBuilder::Compression::None);
  for (auto c : {TarBuilder::Compression::None, TarBuilder::Compression::Gzip, TarBuilder::Compression::Zstd}) {
    std::string data = build(c);
    fs::path d = base_ / ("l" + std::to_string(static_cast<int>(c)));
    auto r = unpack(data, d, true);
    EXPECT_EQ(slurp(d / "a"), std::string(100000, 'a'));
    EXPECT_EQ(slurp(d / "b/c"), "c");
    EXPECT_EQ(r.diff_id, berth::sha256_digest(plain)) << static_cast<int>(c);
  }
}

TEST_F(Unpack, WhiteoutsHideLowerFilesUnderOverlay) {
  BERTH_REQUIRE_ROOT();
  TarBuilder lower;
  lower.file("keep", "k").file("gone", "g").dir("opq").file("opq/old", "o");
  TarBuilder upper;
  upper.file(".wh.gone", "").dir("opq").file("opq/.wh..wh..opq", "").file("opq/new", "n");
  unpack(lower.finish(), base_ / "lower");
  unpack(upper.finish(), base_ / "upper");
  struct stat st;
  ASSERT_EQ(::lstat((base_ / "upper/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, ::makedev(0, 0));
  char v[4] = {};
  EXPECT_EQ(::getxattr((base_ / "upper/opq").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  EXPECT_EQ(v[0], 'y');
  EXPECT_FALSE(fs::exists(base_ / "upper/opq/.wh..wh..opq"));
  fs::create_directories(base_ / "mnt");
  std::string opts = "lowerdir=" + berth::engine::overlay_lowerdir({base_ / "lower", base_ / "upper"});
  ASSERT_EQ(::mount("overlay", (base_ / "mnt").c_str(), "overlay", MS_RDONLY, opts.c_str()), 0) << strerror(errno);
  EXPECT_TRUE(fs::exists(base_ / "mnt/keep"));
  EXPECT_FALSE(fs::exists(base_ / "mnt/gone"));
  EXPECT_FALSE(fs::exists(base_ / "mnt/opq/old"));
  EXPECT_TRUE(fs::exists(base_ / "mnt/opq/new"));
  EXPECT_EQ(::umount2((base_ / "mnt").c_str(), 0), 0);
}

TEST_F(Unpack, OverlayXattrsFromTheArchiveAreDropped) {
  BERTH_REQUIRE_ROOT();
  TarBuilder t;
  t.file("f", "x", 0644, 0, 0, {{"trusted.overlay.redirect", "/etc"}, {"user.ok", "1"}});
  unpack(t.finish(), base_ / "l");
  char v[16];
  EXPECT_LT(::getxattr((base_ / "l/f").c_str(), "trusted.overlay.redirect", v, sizeof v), 0);
  EXPECT_EQ(::getxattr((base_ / "l/f").c_str(), "user.ok", v, sizeof v), 1);
}
