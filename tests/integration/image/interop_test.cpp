// berth's archives against the real tools: skopeo reads what `berth image save` writes, and
// images made by skopeo and umoci load into berth with the same layers and config.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/file_io.hpp"
#include "engine/image/image_store.hpp"
#include "tests/support/privileged.hpp"
#include "tests/support/test_image.hpp"

namespace fs = std::filesystem;
using berth::test::run_command;
using nlohmann::json;

namespace {

class Interop : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("berth-interop-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    fs::create_directories(base_);
  }
  void TearDown() override { fs::remove_all(base_); }
  std::string berth(const fs::path& root) { return std::string(BERTH_BINARY_DIR) + "/berth --root " + root.string(); }
  json inspect(const fs::path& root, const std::string& name) {
    std::string out;
    EXPECT_EQ(run_command(berth(root) + " image inspect " + name + " 2>/dev/null", &out), 0) << out;
    return json::parse(out, nullptr, false)[0];
  }
  fs::path base_;
};

std::string loaded_id(const std::string& out) {
  auto p = out.find("Loaded image ID: ");
  return p == std::string::npos ? "" : out.substr(p + 17, 71);
}

}  // namespace

TEST_F(Interop, SkopeoReadsBerthSaveAndCopiesItToOciThatBerthLoadsBack) {
  BERTH_REQUIRE_ROOT();
  fs::path a = base_ / "a";
  berth::test::ensure_busybox_image(a);
  fs::path tar = base_ / "bb.tar";
  std::string out;
  ASSERT_EQ(run_command(berth(a) + " image save -o " + tar.string() + " berth-test/busybox:latest", &out), 0) << out;
  json mine = inspect(a, "berth-test/busybox");

  ASSERT_EQ(run_command("skopeo --insecure-policy inspect docker-archive:" + tar.string() + " 2>/dev/null", &out), 0) << out;
  json sk = json::parse(out, nullptr, false);
  ASSERT_FALSE(sk.is_discarded()) << out;
  EXPECT_EQ(sk["Layers"].size(), mine["RootFS"]["Layers"].size());
  EXPECT_EQ(sk["Layers"][0], mine["RootFS"]["Layers"][0]);  // docker-archive layers are the plain tars
  EXPECT_EQ(sk["Os"], "linux");
  ASSERT_EQ(run_command("skopeo --insecure-policy inspect --config docker-archive:" + tar.string() + " 2>/dev/null", &out), 0);
  EXPECT_EQ(json::parse(out)["config"]["Cmd"], json::array({"/bin/sh"}));

  // The same archive is an OCI image layout too (as Docker >= 25 writes it).
  ASSERT_EQ(run_command("skopeo --insecure-policy inspect oci-archive:" + tar.string() + ":berth-test/busybox:latest 2>&1", &out), 0) << out;
  EXPECT_EQ(json::parse(out)["Layers"], mine["RootFS"]["Layers"]);

  // docker-archive -> OCI layout directory, then tarred: berth loads it with the same layers.
  fs::path oci = base_ / "oci";
  ASSERT_EQ(run_command("skopeo --insecure-policy copy -q docker-archive:" + tar.string() + " oci:" + oci.string() + ":copied", &out), 0) << out;
  ASSERT_TRUE(fs::exists(oci / "index.json"));
  ASSERT_EQ(run_command("tar -C " + oci.string() + " -cf " + (base_ / "oci.tar").string() + " .", &out), 0);
  fs::path b = base_ / "b";
  ASSERT_EQ(run_command(berth(b) + " image load -i " + (base_ / "oci.tar").string(), &out), 0) << out;
  std::string id = loaded_id(out);
  ASSERT_FALSE(id.empty()) << out;
  json theirs = inspect(b, id);
  EXPECT_EQ(theirs["RootFS"]["Layers"], mine["RootFS"]["Layers"]);
  EXPECT_EQ(theirs["Config"]["Cmd"], mine["Config"]["Cmd"]);
  EXPECT_EQ(theirs["Config"]["Env"], mine["Config"]["Env"]);

  // And an oci-archive with a full name becomes a tagged image.
  fs::path ociar = base_ / "oci-archive.tar";
  ASSERT_EQ(run_command("skopeo --insecure-policy copy -q docker-archive:" + tar.string() + " oci-archive:" + ociar.string() +
                            ":berth-test/copied:1", &out), 0) << out;
  ASSERT_EQ(run_command(berth(b) + " image load -i " + ociar.string(), &out), 0) << out;
  EXPECT_NE(out.find("Loaded image: berth-test/copied:1"), std::string::npos) << out;
  EXPECT_EQ(inspect(b, "berth-test/copied:1")["RootFS"]["Layers"], mine["RootFS"]["Layers"]);
}

TEST_F(Interop, UmociImageLoadsWithTheSameLayersAndConfig) {
  BERTH_REQUIRE_ROOT();
  fs::path lay = base_ / "lay", bundle = base_ / "bundle";
  std::string out;
  std::string umoci = "umoci --log error ";
  ASSERT_EQ(run_command(umoci + "init --layout " + lay.string(), &out), 0) << out;
  ASSERT_EQ(run_command(umoci + "new --image " + lay.string() + ":t", &out), 0) << out;
  ASSERT_EQ(run_command(umoci + "unpack --image " + lay.string() + ":t " + bundle.string(), &out), 0) << out;
  berth::write_file_atomic(bundle / "rootfs/hello", "from umoci\n");
  fs::create_directories(bundle / "rootfs/etc");
  fs::create_symlink("../hello", bundle / "rootfs/etc/hello-link");
  // --refresh-bundle: the next repack diffs against this layer, not the empty image.
  ASSERT_EQ(run_command(umoci + "repack --refresh-bundle --image " + lay.string() + ":t " + bundle.string(), &out), 0) << out;
  // A second layer that deletes the file: umoci writes an OCI whiteout.
  fs::remove(bundle / "rootfs/hello");
  ASSERT_EQ(run_command(umoci + "repack --image " + lay.string() + ":t " + bundle.string(), &out), 0) << out;
  ASSERT_EQ(run_command(umoci + "config --image " + lay.string() + ":t --config.cmd /bin/true --config.env A=1 "
                                "--config.workingdir /srv --config.exposedports 8080/tcp", &out), 0) << out;
  ASSERT_EQ(run_command(umoci + "stat --json --image " + lay.string() + ":t", &out), 0) << out;
  json stat = json::parse(out, nullptr, false);
  ASSERT_EQ(run_command("tar -C " + lay.string() + " -cf " + (base_ / "lay.tar").string() + " .", &out), 0);

  fs::path root = base_ / "root";
  ASSERT_EQ(run_command(berth(root) + " image load -i " + (base_ / "lay.tar").string(), &out), 0) << out;
  std::string id = loaded_id(out);
  ASSERT_FALSE(id.empty()) << out;
  json i = inspect(root, id);
  // umoci's own view of the image: its manifest and config from the layout.
  json index = json::parse(berth::read_file(lay / "index.json"));
  std::string mdig = index["manifests"][0]["digest"];
  json manifest = json::parse(berth::read_file(lay / "blobs/sha256" / mdig.substr(7)));
  std::string cdig = manifest["config"]["digest"];
  json config = json::parse(berth::read_file(lay / "blobs/sha256" / cdig.substr(7)));
  EXPECT_EQ(i["Id"], cdig);  // the very same config blob
  EXPECT_EQ(i["Manifest"]["Digest"], mdig);
  EXPECT_EQ(i["RootFS"]["Layers"], config["rootfs"]["diff_ids"]);
  EXPECT_EQ(i["Manifest"]["Layers"].size(), manifest["layers"].size());
  EXPECT_EQ(i["Config"]["Cmd"], json::array({"/bin/true"}));
  EXPECT_EQ(i["Config"]["WorkingDir"], "/srv");
  EXPECT_TRUE(i["Config"]["ExposedPorts"].contains("8080/tcp"));
  EXPECT_FALSE(stat.is_discarded());

  berth::engine::ImageStore st(berth::StatePaths::resolve(root));
  auto dirs = st.layer_dirs(st.get(id));
  ASSERT_EQ(dirs.size(), 2u);
  EXPECT_EQ(berth::read_file(dirs[0] / "hello"), "from umoci\n");
  EXPECT_EQ(fs::read_symlink(dirs[0] / "etc/hello-link"), "../hello");
  struct stat sb;
  ASSERT_EQ(::lstat((dirs[1] / "hello").c_str(), &sb), 0);  // whiteout converted for overlay
  EXPECT_TRUE(S_ISCHR(sb.st_mode));
}
