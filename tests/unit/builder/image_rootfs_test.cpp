// Paths looked up through an image's layers without mounting them: the top layer wins, and the
// image's directory symlinks are followed inside the image (never out of it).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "builder/image_rootfs.hpp"

using namespace berth::builder;
namespace fs = std::filesystem;

namespace {

class Layers : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-layers-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    low_ = dir_ / "low";
    top_ = dir_ / "top";
    fs::create_directories(low_ / "usr" / "lib");
    fs::create_directories(low_ / "etc");
    fs::create_directories(top_ / "etc");
    std::ofstream(low_ / "etc" / "passwd") << "low\n";
    std::ofstream(top_ / "etc" / "passwd") << "top\n";
    fs::create_directory_symlink("usr/lib", low_ / "lib");
    fs::create_directory_symlink("/../../../../elsewhere", top_ / "escape");
    fs::create_directory_symlink("loop2", top_ / "loop1");
    fs::create_directory_symlink("loop1", top_ / "loop2");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::vector<fs::path> layers() const { return {low_, top_}; }
  fs::path dir_, low_, top_;
};

}  // namespace

TEST_F(Layers, TopLayerWins) {
  EXPECT_EQ(read_in_layers(layers(), "etc/passwd"), "top\n");
  EXPECT_EQ(read_in_layers({low_}, "/etc/passwd"), "low\n");
  EXPECT_FALSE(read_in_layers(layers(), "etc/shadow"));
  ASSERT_TRUE(stat_in_layers(layers(), "usr/lib"));
  EXPECT_TRUE(S_ISDIR(stat_in_layers(layers(), "usr/lib")->st_mode));
  EXPECT_TRUE(S_ISLNK(stat_in_layers(layers(), "lib")->st_mode));
}

TEST_F(Layers, DirectorySymlinksResolvedInsideTheImage) {
  EXPECT_EQ(resolve_in_layers(layers(), "/lib/x.so", false), "/usr/lib/x.so");
  EXPECT_EQ(resolve_in_layers(layers(), "/lib", false), "/lib");  // the last component only when asked
  EXPECT_EQ(resolve_in_layers(layers(), "/lib", true), "/usr/lib");
  EXPECT_EQ(resolve_in_layers(layers(), "/escape/f", false), "/elsewhere/f");  // ".." stops at the image root
  EXPECT_EQ(resolve_in_layers(layers(), "/a/../b/./c", false), "/b/c");
  // A loop ends (after 40 links) with some path inside the image rather than hanging.
  EXPECT_EQ(resolve_in_layers(layers(), "/loop1/f", false).front(), '/');
}
