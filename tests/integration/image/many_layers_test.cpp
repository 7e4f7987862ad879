// Images with many layers mount: short links keep mount(2)'s one-page option string in bounds, and
// mount_overlay() uses one fsconfig("lowerdir+") per layer with no total limit.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/file_io.hpp"
#include "base/sha256.hpp"
#include "engine/image/image_store.hpp"
#include "engine/image/overlay_mount.hpp"
#include "tar_builder.hpp"
#include "tests/support/privileged.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

class ManyLayers : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("berth-layers-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    fs::create_directories(base_ / "mnt");
  }
  void TearDown() override {
    ::umount2((base_ / "mnt").c_str(), MNT_DETACH);
    fs::remove_all(base_);
  }
  berth::engine::Image image(berth::engine::ImageStore& st, int n) {
    berth::engine::ImageConfig c;
    json ls = json::array();
    for (int i = 0; i < n; ++i) {
      berth::test::TarBuilder t;
      t.file("l" + std::to_string(i), "x").file("top", std::to_string(i));
      std::string d = st.put_blob(t.finish());
      c.diff_ids.push_back(d);
      ls.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"}, {"digest", d}, {"size", 1}});
    }
    std::string cfg = berth::engine::serialize_image_config(c);
    json m{{"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
           {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"digest", berth::sha256_digest(cfg)}, {"size", cfg.size()}}},
           {"layers", ls}};
    return st.commit_image(m.dump(), cfg, {"many/layers:" + std::to_string(n)});
  }
  fs::path base_;
};

}  // namespace

TEST_F(ManyLayers, ShortLinksKeepMountOptionsInOnePage) {
  BERTH_REQUIRE_ROOT();
  berth::engine::ImageStore st(berth::StatePaths::resolve(base_ / "root"));
  auto im = image(st, 30);
  auto dirs = st.layer_dirs(im);
  std::string plain;
  for (auto& d : dirs) plain += d.string() + ":";
  ASSERT_GT(plain.size(), 4096u);  // the plain form would not fit
  std::string lower = berth::engine::overlay_lowerdir(dirs);
  EXPECT_LT(lower.size(), 4096u - 512u);
  EXPECT_NE(lower.find("/images/l/"), std::string::npos);
  ASSERT_EQ(::mount("overlay", (base_ / "mnt").c_str(), "overlay", MS_RDONLY, ("lowerdir=" + lower).c_str()), 0) << strerror(errno);
  EXPECT_TRUE(fs::exists(base_ / "mnt/l0"));
  EXPECT_TRUE(fs::exists(base_ / "mnt/l29"));
  EXPECT_EQ(berth::read_file(base_ / "mnt/top"), "29");  // the top layer wins
}

TEST_F(ManyLayers, MountOverlayTakesHundredsOfLayersWithAnUpper) {
  BERTH_REQUIRE_ROOT();
  berth::engine::ImageStore st(berth::StatePaths::resolve(base_ / "root"));
  auto im = image(st, 150);
  auto dirs = st.layer_dirs(im);
  fs::create_directories(base_ / "upper");
  fs::create_directories(base_ / "work");
  berth::engine::mount_overlay(dirs, base_ / "upper", base_ / "work", base_ / "mnt");
  EXPECT_TRUE(fs::exists(base_ / "mnt/l0"));
  EXPECT_TRUE(fs::exists(base_ / "mnt/l149"));
  EXPECT_EQ(berth::read_file(base_ / "mnt/top"), "149");
  berth::write_file_atomic(base_ / "mnt/new", "w");
  EXPECT_TRUE(fs::exists(base_ / "upper/new"));  // writes land in the upper, layers untouched
  EXPECT_FALSE(fs::exists(dirs.back() / "new"));
  EXPECT_EQ(::umount2((base_ / "mnt").c_str(), 0), 0);
}

// What kernels before 6.5 (no "lowerdir+") get, forced here on any kernel: mount(2) with one page
// of options. 150 layers fit neither as paths nor as short links; /proc/self/fd/N names do.
TEST_F(ManyLayers, Mount2FallbackTakesHundredsOfLayersThroughDescriptors) {
  BERTH_REQUIRE_ROOT();
  berth::engine::ImageStore st(berth::StatePaths::resolve(base_ / "root"));
  auto im = image(st, 150);
  auto dirs = st.layer_dirs(im);
  fs::create_directories(base_ / "upper");
  fs::create_directories(base_ / "work");
  ::setenv("BERTH_OVERLAY_MOUNT", "mount2", 1);
  EXPECT_NO_THROW(berth::engine::mount_overlay(dirs, base_ / "upper", base_ / "work", base_ / "mnt"));
  ::unsetenv("BERTH_OVERLAY_MOUNT");
  std::string info = berth::read_file("/proc/self/mountinfo");
  auto at = info.find(" " + (base_ / "mnt").string() + " ");
  ASSERT_NE(at, std::string::npos) << "mounted";
  std::string line = info.substr(at, info.find('\n', at) - at);
  EXPECT_NE(line.find("lowerdir=/proc/self/fd/"), std::string::npos) << line;
  EXPECT_EQ(berth::read_file(base_ / "mnt/top"), "149");
  EXPECT_TRUE(fs::exists(base_ / "mnt/l0"));
  berth::write_file_atomic(base_ / "mnt/new", "w");
  EXPECT_TRUE(fs::exists(base_ / "upper/new"));
  // No descriptor of the layers stays open once the mount exists.
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto to = fs::read_symlink(e.path(), ec);
    EXPECT_EQ(to.string().find(base_.string() + "/root"), std::string::npos) << to;
  }
}

// mount(2) with few layers keeps their plain paths (what `mount` and /proc/mounts then show).
TEST_F(ManyLayers, Mount2FallbackUsesPlainPathsWhenTheyFit) {
  BERTH_REQUIRE_ROOT();
  berth::engine::ImageStore st(berth::StatePaths::resolve(base_ / "root"));
  auto dirs = st.layer_dirs(image(st, 3));
  ::setenv("BERTH_OVERLAY_MOUNT", "mount2", 1);
  EXPECT_NO_THROW(berth::engine::mount_overlay(dirs, {}, {}, base_ / "mnt", MS_RDONLY));
  ::unsetenv("BERTH_OVERLAY_MOUNT");
  std::string info = berth::read_file("/proc/self/mountinfo");
  EXPECT_NE(info.find("lowerdir=" + dirs.back().string() + ":"), std::string::npos) << info;
  EXPECT_EQ(berth::read_file(base_ / "mnt/top"), "2");
}
