// The shared layer of mount points: /etc with the image's attributes and the three empty files,
// made once per set of layers, and none for an image whose /etc is not a directory.
#include "engine/runtime/mountpoint_layer.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace berth::engine {
namespace {

namespace fs = std::filesystem;

class MountpointLayer : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-mountpoints-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    paths_.root = dir_ / "root";
    paths_.runtime = dir_ / "run";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path layer(const std::string& name) {
    fs::create_directories(dir_ / "layers" / name);
    return dir_ / "layers" / name;
  }
  fs::path dir_;
  StatePaths paths_;
};

TEST_F(MountpointLayer, EtcTakesTheTopmostImageLayersAttributes) {
  fs::path bottom = layer("bottom"), top = layer("top");
  fs::create_directory(bottom / "etc");
  fs::create_directory(top / "etc");
  ASSERT_EQ(::chmod((top / "etc").c_str(), 0710), 0);
  auto made = mountpoint_layer(paths_, {bottom, top});
  ASSERT_TRUE(made);
  struct stat st;
  ASSERT_EQ(::stat((*made / "etc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0710u);
  for (const char* f : {"hosts", "hostname", "resolv.conf"}) {
    ASSERT_EQ(::stat((*made / "etc" / f).c_str(), &st), 0) << f;
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_size, 0);
  }
  // made once: the same directory for the same layers, another for other layers
  EXPECT_EQ(mountpoint_layer(paths_, {bottom, top}), made);
  auto other = mountpoint_layer(paths_, {bottom});
  ASSERT_TRUE(other);
  EXPECT_NE(*other, *made);
}

TEST_F(MountpointLayer, NoneWhenTheImagesEtcIsASymlink) {
  fs::path bottom = layer("bottom"), top = layer("top");
  fs::create_directory(bottom / "etc");
  fs::create_symlink("usr/etc", top / "etc");
  EXPECT_FALSE(mountpoint_layer(paths_, {bottom, top}));
  EXPECT_FALSE(fs::exists(paths_.root / "mountpoints") && !fs::is_empty(paths_.root / "mountpoints"));
}

TEST_F(MountpointLayer, AnImageWithoutEtcGetsAPlainOne) {
  auto made = mountpoint_layer(paths_, {layer("only")});
  ASSERT_TRUE(made);
  struct stat st;
  ASSERT_EQ(::stat((*made / "etc").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(fs::exists(*made / "etc" / "hosts"));
}

}  // namespace
}  // namespace berth::engine
