#include <gtest/gtest.h>

#include <filesystem>

#include "base/error.hpp"
#include "base/paths.hpp"
#include "base/sha256.hpp"
#include "engine/image/image_store.hpp"
#include "engine/image/layer_unpack.hpp"

using namespace berth::engine;
namespace fs = std::filesystem;

TEST(EntryPath, NormalizesAndRefusesEscapes) {
  EXPECT_EQ(*normalize_entry_path("./a//b/"), "a/b");
  EXPECT_EQ(*normalize_entry_path("a/./b"), "a/b");
  EXPECT_EQ(*normalize_entry_path("./"), "");
  EXPECT_EQ(*normalize_entry_path("..a/b..c"), "..a/b..c");
  EXPECT_FALSE(normalize_entry_path("/etc/passwd"));
  EXPECT_FALSE(normalize_entry_path("../x"));
  EXPECT_FALSE(normalize_entry_path("a/../../x"));
  EXPECT_FALSE(normalize_entry_path("a/.."));
}

TEST(Whiteouts, Classified) {
  std::string t;
  EXPECT_EQ(classify_whiteout(".wh..wh..opq"), WhiteoutKind::Opaque);
  EXPECT_EQ(classify_whiteout(".wh.foo", &t), WhiteoutKind::File);
  EXPECT_EQ(t, "foo");
  EXPECT_EQ(classify_whiteout(".wh..wh.plnk"), WhiteoutKind::Meta);
  EXPECT_EQ(classify_whiteout("foo.wh.bar"), WhiteoutKind::None);
  EXPECT_EQ(classify_whiteout(".whfoo"), WhiteoutKind::None);
}

class BlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("berth-unit-image-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(BlobTest, DigestVerifiedOnTheWayIn) {
  ImageStore st(berth::StatePaths::resolve(root_));
  std::string good = berth::sha256_digest("hello");
  EXPECT_EQ(st.put_blob("hello", good), good);
  EXPECT_TRUE(st.has_blob(good));
  EXPECT_EQ(st.read_blob(good), "hello");
  std::string wrong = berth::sha256_digest("other");
  auto w = st.blob_writer(wrong);
  w.write("tampered");
  EXPECT_THROW(w.commit(), berth::UserError);
  EXPECT_FALSE(st.has_blob(wrong));
  EXPECT_THROW(st.put_blob("x", "sha256:../../etc"), berth::UserError);
  EXPECT_FALSE(st.has_blob("sha256:../x"));
}

TEST_F(BlobTest, AbandonedWriterLeavesNothing) {
  ImageStore st(berth::StatePaths::resolve(root_));
  {
    auto w = st.blob_writer();
    w.write(std::string(3 << 20, 'z'));
  }
  EXPECT_TRUE(fs::is_empty(root_ / "images" / "tmp"));
  EXPECT_TRUE(fs::is_empty(root_ / "images" / "blobs" / "sha256"));
}

TEST_F(BlobTest, NotFoundErrorNamesTheImageWithAHint) {
  ImageStore st(berth::StatePaths::resolve(root_));
  EXPECT_FALSE(st.find("redis"));
  try {
    st.get("redis:7");
    FAIL();
  } catch (const berth::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("image not found: redis:7"), std::string::npos);
  }
  EXPECT_THROW(st.get("Bad:Ref"), berth::UserError);
}
