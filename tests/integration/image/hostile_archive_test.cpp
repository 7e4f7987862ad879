// Crafted layers that try to create or write outside the layer directory: every one must be
// refused with an error naming the entry, with nothing outside changed and (through the store)
// no partial layer or image left.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/error.hpp"
#include "engine/image/layer_unpack.hpp"
#include "tar_builder.hpp"
#include "tests/support/privileged.hpp"
#include "tests/support/test_image.hpp"

namespace fs = std::filesystem;
using berth::test::TarBuilder;

namespace {

struct Case {
  const char* name;
  const char* entry;  // what the error must name
  std::function<void(TarBuilder&)> build;
};

std::string snapshot(const fs::path& dir) {
  std::string s;
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    s += e.path().string() + "\n";
    if (e.is_regular_file()) {
      std::ifstream in(e.path());
      s += std::string(std::istreambuf_iterator<char>(in), {}) + "\n";
    }
  }
  return s;
}

class Hostile : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("berth-hostile-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    // base/work/layer is the layer; base/outside is what an escape would reach.
    fs::create_directories(base_ / "work" / "layer");
    fs::create_directories(base_ / "outside");
    std::ofstream(base_ / "outside" / "secret") << "untouched";
  }
  void TearDown() override { fs::remove_all(base_); }
  fs::path base_;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {"dotdot", "../../outside/pwn", [](TarBuilder& t) { t.file("../../outside/pwn", "x"); }},
      {"dotdot_inner", "a/../../../outside/pwn", [](TarBuilder& t) { t.dir("a").file("a/../../../outside/pwn", "x"); }},
      {"dot_dotdot", "./../x", [](TarBuilder& t) { t.file("./../x", "x"); }},
      {"absolute", "/tmp/berth-abs-pwn", [](TarBuilder& t) { t.file("/tmp/berth-abs-pwn", "x"); }},
      {"symlink_parent_relative", "link/pwn", [](TarBuilder& t) { t.symlink("link", "../../outside").file("link/pwn", "x"); }},
      {"symlink_parent_absolute", "abs/pwn", [](TarBuilder& t) { t.symlink("abs", "/").file("abs/pwn", "x"); }},
      {"symlink_chain", "a/b/pwn", [](TarBuilder& t) { t.dir("a").symlink("a/b", "../../../outside").file("a/b/pwn", "x"); }},
      {"hardlink_outside", "hl", [](TarBuilder& t) { t.hardlink("hl", "../../outside/secret"); }},
      {"hardlink_absolute", "hl2", [](TarBuilder& t) { t.hardlink("hl2", "/etc/passwd"); }},
      {"hardlink_through_symlink", "hl3", [](TarBuilder& t) { t.symlink("s", "../../outside").hardlink("hl3", "s/secret"); }},
      {"whiteout_through_symlink", "s/.wh.secret", [](TarBuilder& t) { t.symlink("s", "../../outside").file("s/.wh.secret", ""); }},
      {"opaque_through_symlink", "s/.wh..wh..opq", [](TarBuilder& t) { t.symlink("s", "../../outside").file("s/.wh..wh..opq", ""); }},
      {"dir_through_symlink", "s/newdir", [](TarBuilder& t) { t.symlink("s", "../../outside").dir("s/newdir"); }},
      {"device_through_symlink", "s/null", [](TarBuilder& t) { t.symlink("s", "../../outside").device("s/null", AE_IFCHR, 1, 3); }},
      {"whiteout_dotdot", "x/.wh..", [](TarBuilder& t) { t.dir("x").file("x/.wh..", ""); }},
  };
  return c;
}

}  // namespace

TEST_F(Hostile, EveryEscapeIsRefusedAndNothingOutsideChanges) {
  BERTH_REQUIRE_ROOT();
  ASSERT_GE(cases().size(), 10u);
  std::string before = snapshot(base_ / "outside");
  for (auto& c : cases()) {
    SCOPED_TRACE(c.name);
    fs::path layer = base_ / "work" / c.name;
    fs::create_directories(layer);
    TarBuilder t;
    c.build(t);
    fs::path tar = base_ / (std::string(c.name) + ".tar");
    t.write_to(tar);
    int fd = ::open(tar.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    try {
      berth::engine::unpack_layer(fd, layer, {});
      ADD_FAILURE() << c.name << " was not refused";
    } catch (const std::exception& e) {
      std::string msg = berth::describe(e);
      EXPECT_NE(msg.find(c.entry), std::string::npos) << msg;
    }
    ::close(fd);
    EXPECT_EQ(snapshot(base_ / "outside"), before);
    EXPECT_FALSE(fs::exists("/tmp/berth-abs-pwn"));
    EXPECT_FALSE(fs::exists(base_ / "work" / "outside"));
    EXPECT_FALSE(fs::exists(base_ / "x"));
    // Nothing appeared beside the layer either.
    for (auto& e : fs::directory_iterator(base_)) {
      auto n = e.path().filename().string();
      EXPECT_TRUE(n == "work" || n == "outside" || n.ends_with(".tar")) << n;
    }
  }
}

TEST_F(Hostile, ReplacingAPlantedSymlinkWritesInsideTheLayer) {
  BERTH_REQUIRE_ROOT();
  // A later regular file named like an earlier symlink replaces the link; it never writes through it.
  TarBuilder t;
  t.symlink("evil", "../../outside/secret").file("evil", "inside");
  fs::path tar = base_ / "replace.tar";
  t.write_to(tar);
  int fd = ::open(tar.c_str(), O_RDONLY | O_CLOEXEC);
  berth::engine::unpack_layer(fd, base_ / "work" / "layer", {});
  ::close(fd);
  EXPECT_FALSE(fs::is_symlink(base_ / "work" / "layer" / "evil"));
  std::ifstream in(base_ / "outside" / "secret");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "untouched");
}

TEST_F(Hostile, StoreImportOfHostileTarLeavesNoPartialLayerOrImage) {
  BERTH_REQUIRE_ROOT();
  TarBuilder t;
  t.dir("ok").file("ok/a", "fine").symlink("link", "../../outside").file("link/pwn", "x");
  fs::path tar = base_ / "bad.tar";
  t.write_to(tar);
  fs::path root = base_ / "state";
  std::string out;
  std::string berth = std::string(BERTH_BINARY_DIR) + "/berth --root " + root.string();
  int rc = berth::test::run_command(berth + " image import " + tar.string() + " hostile/x:1", &out);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("link/pwn"), std::string::npos) << out;
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one error line: " << out;
  EXPECT_TRUE(fs::is_empty(root / "images" / "layers"));
  EXPECT_TRUE(fs::is_empty(root / "images" / "tmp"));
  EXPECT_TRUE(fs::is_empty(root / "images" / "images"));
  EXPECT_TRUE(fs::is_empty(root / "images" / "blobs" / "sha256"));
  EXPECT_NE(berth::test::run_command(berth + " image inspect hostile/x:1", &out), 0);
  EXPECT_FALSE(fs::exists(base_ / "outside" / "pwn"));
}

TEST_F(Hostile, ImageArchivesCannotReachOutsideEither) {
  BERTH_REQUIRE_ROOT();
  fs::path root = base_ / "state";
  std::string berth = std::string(BERTH_BINARY_DIR) + "/berth --root " + root.string();
  std::string out;
  // An archive entry with ../ in a docker-save archive.
  TarBuilder a;
  a.file("../../outside/pwn", "x").file("manifest.json", "[]");
  a.write_to(base_ / "a.tar");
  EXPECT_NE(berth::test::run_command(berth + " image load -i " + (base_ / "a.tar").string(), &out), 0);
  EXPECT_NE(out.find("../../outside/pwn"), std::string::npos) << out;
  // manifest.json naming a config and a layer outside the archive.
  TarBuilder b;
  b.file("manifest.json", R"([{"Config":"../../outside/secret","RepoTags":["x:1"],"Layers":["/etc/passwd"]}])");
  b.write_to(base_ / "b.tar");
  EXPECT_NE(berth::test::run_command(berth + " image load -i " + (base_ / "b.tar").string(), &out), 0);
  EXPECT_NE(out.find("is missing"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(base_ / "outside" / "pwn"));
  EXPECT_TRUE(fs::is_empty(root / "images" / "images"));
  EXPECT_TRUE(fs::is_empty(root / "images" / "blobs" / "sha256"));
}
