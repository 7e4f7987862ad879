// The store through its API and the CLI: round trips, shared layers, references, removal rules,
// digest checks and concurrent writers.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/sha256.hpp"
#include "engine/image/image_store.hpp"
#include "tar_builder.hpp"
#include "tests/support/privileged.hpp"
#include "tests/support/test_image.hpp"

namespace fs = std::filesystem;
using berth::engine::ImageStore;
using berth::test::run_command;
using berth::test::TarBuilder;
using nlohmann::json;

namespace {

class Store : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("berth-store-" + std::to_string(::getpid()) + "-" +
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
  // A one-layer-per-tar image committed through the registry-client API.
  berth::engine::Image commit(ImageStore& st, const std::vector<std::string>& layers, const std::string& ref) {
    berth::engine::ImageConfig c;
    c.cmd = std::vector<std::string>{"/bin/sh"};
    json ls = json::array();
    for (auto& l : layers) {
      std::string d = st.put_blob(l);
      c.diff_ids.push_back(d);
      ls.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"}, {"digest", d}, {"size", l.size()}});
    }
    std::string cfg = berth::engine::serialize_image_config(c);
    json m{{"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
           {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"digest", berth::sha256_digest(cfg)}, {"size", cfg.size()}}},
           {"layers", ls}};
    return st.commit_image(m.dump(), cfg, {ref});
  }
  fs::path base_;
};

std::string layer(const std::string& name, const std::string& content) {
  TarBuilder t;
  t.file(name, content);
  return t.finish();
}

size_t count(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST_F(Store, ImportSaveLoadRoundTripKeepsIdLayersConfigAndTags) {
  BERTH_REQUIRE_ROOT();
  fs::path a = base_ / "a", b = base_ / "b";
  berth::test::ensure_busybox_image(a);
  std::string out;
  ASSERT_EQ(run_command(berth(a) + " image tag berth-test/busybox:latest localhost:5000/bb:v2", &out), 0) << out;
  fs::path tar = base_ / "saved.tar";
  ASSERT_EQ(run_command(berth(a) + " image save -o " + tar.string() + " berth-test/busybox:latest localhost:5000/bb:v2", &out), 0) << out;
  ASSERT_EQ(run_command(berth(b) + " image load -i " + tar.string(), &out), 0) << out;
  EXPECT_NE(out.find("Loaded image: berth-test/busybox:latest"), std::string::npos) << out;
  EXPECT_NE(out.find("Loaded image: localhost:5000/bb:v2"), std::string::npos) << out;
  json ia = inspect(a, "berth-test/busybox"), ib = inspect(b, "localhost:5000/bb:v2");
  EXPECT_EQ(ia["Id"], ib["Id"]);
  EXPECT_EQ(ia["RootFS"], ib["RootFS"]);
  EXPECT_EQ(ia["Config"], ib["Config"]);
  EXPECT_EQ(ib["Config"]["Cmd"], json::array({"/bin/sh"}));
  // From stdin too, into a third root; the busybox layer really is a working rootfs.
  fs::path c = base_ / "c";
  ASSERT_EQ(run_command("cat " + tar.string() + " | " + berth(c) + " image load -q", &out), 0) << out;
  ImageStore st(berth::StatePaths::resolve(c));
  auto dirs = st.layer_dirs(st.get("berth-test/busybox"));
  ASSERT_EQ(dirs.size(), 1u);
  EXPECT_TRUE(fs::is_symlink(dirs[0] / "bin/sh"));
  EXPECT_NE(berth::read_file(dirs[0] / "etc/passwd").find("app:x:1000:1000"), std::string::npos);
}

TEST_F(Store, SharedLayersAreUnpackedOnceAndRemovedWithTheirLastImage) {
  BERTH_REQUIRE_ROOT();
  ImageStore st(berth::StatePaths::resolve(base_ / "root"));
  std::string l1 = layer("base", "b"), l2 = layer("app", "a");
  auto a = commit(st, {l1}, "test/a:1");
  EXPECT_EQ(st.unpack_count(), 1);
  auto b = commit(st, {l1, l2}, "test/b:1");
  EXPECT_EQ(st.unpack_count(), 2);  // only the second layer was new
  EXPECT_EQ(count(st.dir() / "layers"), 2u);
  EXPECT_EQ(a.chain_ids[0], b.chain_ids[0]);
  auto dirs = st.layer_dirs(b);
  EXPECT_EQ(st.unpack_count(), 2);
  EXPECT_TRUE(fs::exists(dirs[0] / "base"));
  EXPECT_TRUE(fs::exists(dirs[1] / "app"));
  auto usage = st.usage();
  ASSERT_EQ(usage.size(), 2u);
  for (auto& u : usage) EXPECT_GT(u.shared, 0);
  st.remove("test/a:1");
  EXPECT_EQ(count(st.dir() / "layers"), 2u);  // still used by b
  EXPECT_TRUE(st.has_blob(a.diff_ids[0]));
  st.remove("test/b:1");
  EXPECT_EQ(count(st.dir() / "layers"), 0u);
  EXPECT_EQ(count(st.dir() / "blobs/sha256"), 0u);
  EXPECT_EQ(count(st.dir() / "l"), 0u);
  EXPECT_TRUE(st.list().empty());
}

TEST_F(Store, ReferencesTagsAndLookup) {
  BERTH_REQUIRE_ROOT();
  ImageStore st(berth::StatePaths::resolve(base_ / "root"));
  auto im = commit(st, {layer("f", "1")}, "redis");
  EXPECT_EQ(st.get("docker.io/library/redis:latest").id, im.id);
  EXPECT_EQ(st.get(im.id).id, im.id);
  EXPECT_EQ(st.get(im.id.substr(7, 12)).id, im.id);
  EXPECT_EQ(st.get("redis@" + im.manifest_digest).id, im.id);
  st.tag("redis", "example.com:5000/x/redis:7");
  EXPECT_EQ(st.get("example.com:5000/x/redis:7").refs.size(), 2u);
  // Removing one of two names only untags; by id with two names needs -f.
  EXPECT_THROW(st.remove(im.id), berth::UserError);
  auto lines = st.remove("redis");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "Untagged: redis:latest");
  EXPECT_TRUE(st.find(im.id));
  // A tag moved to another image leaves the first dangling; prune removes it.
  auto other = commit(st, {layer("g", "2")}, "example.com:5000/x/redis:7");
  EXPECT_TRUE(st.get(im.id).refs.empty());
  auto [pruned, freed] = st.prune();
  ASSERT_EQ(pruned.size(), 1u);
  EXPECT_EQ(pruned[0], im.id);
  EXPECT_FALSE(st.find(im.id));
  EXPECT_TRUE(st.find(other.id));
}

TEST_F(Store, RemoveRefusesAnImageUsedByAContainerUnlessForced) {
  BERTH_REQUIRE_ROOT();
  fs::path root = base_ / "root";
  ImageStore st(berth::StatePaths::resolve(root));
  auto im = commit(st, {layer("f", "1")}, "used/by:ctr");
  fs::create_directories(root / "containers/c1");
  std::ofstream(root / "containers/c1/container.json") << json{{"id", "c1"}, {"image_id", im.id}}.dump();
  std::string out;
  EXPECT_NE(run_command(berth(root) + " image rm used/by:ctr", &out), 0);
  EXPECT_NE(out.find("used by 1 container"), std::string::npos) << out;
  EXPECT_TRUE(st.find(im.id));
  EXPECT_EQ(run_command(berth(root) + " image prune -a", &out), 0) << out;
  EXPECT_TRUE(st.find(im.id));  // prune never takes an image in use
  EXPECT_EQ(run_command(berth(root) + " image rm -f used/by:ctr", &out), 0) << out;
  EXPECT_NE(out.find("Deleted: " + im.id), std::string::npos) << out;
  EXPECT_FALSE(st.find(im.id));
}

TEST_F(Store, LoadVerifiesDigestsAndLeavesNothingOnFailure) {
  BERTH_REQUIRE_ROOT();
  // An OCI layout whose layer blob does not hash to its name.
  std::string l = layer("f", "1"), d = berth::sha256_digest(l);
  std::string cfg = R"({"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[")" + d + "\"]}}";
  json m{{"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
         {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"digest", berth::sha256_digest(cfg)}, {"size", cfg.size()}}},
         {"layers", json::array({{{"mediaType", "application/vnd.oci.image.layer.v1.tar"}, {"digest", d}, {"size", l.size()}}})}};
  std::string ms = m.dump();
  json idx{{"schemaVersion", 2}, {"manifests", json::array({{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                                             {"digest", berth::sha256_digest(ms)}, {"size", ms.size()},
                                                             {"annotations", {{"org.opencontainers.image.ref.name", "bad/img:1"}}}}})}};
  TarBuilder t;
  t.file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})").file("index.json", idx.dump());
  t.file("blobs/sha256/" + berth::sha256_hex(cfg), cfg).file("blobs/sha256/" + berth::sha256_hex(ms), ms);
  t.file("blobs/sha256/" + d.substr(7), layer("f", "tampered"));
  t.write_to(base_ / "bad.tar");
  fs::path root = base_ / "root";
  std::string out;
  EXPECT_NE(run_command(berth(root) + " image load -i " + (base_ / "bad.tar").string(), &out), 0);
  EXPECT_NE(out.find("digest mismatch"), std::string::npos) << out;
  EXPECT_EQ(count(root / "images/blobs/sha256"), 0u);
  EXPECT_EQ(count(root / "images/layers"), 0u);
  EXPECT_EQ(count(root / "images/tmp"), 0u);
  EXPECT_EQ(count(root / "images/images"), 0u);
}

TEST_F(Store, ImportWithChangesFromStdin) {
  BERTH_REQUIRE_ROOT();
  TarBuilder t(TarBuilder::Compression::Gzip);
  t.dir("app").file("app/run", "#!/bin/sh\n", 0755);
  t.write_to(base_ / "rootfs.tgz");
  fs::path root = base_ / "root";
  std::string out;
  ASSERT_EQ(run_command("cat " + (base_ / "rootfs.tgz").string() + " | " + berth(root) +
                            " image import -c 'ENTRYPOINT [\"/app/run\"]' -c 'CMD --serve' -c 'ENV MODE=prod' "
                            "-c 'WORKDIR /app' -c 'USER app' -c 'EXPOSE 8080' - my/app:1",
                        &out), 0) << out;
  json i = inspect(root, "my/app:1");
  EXPECT_EQ(i["Config"]["Entrypoint"], json::array({"/app/run"}));
  EXPECT_EQ(i["Config"]["Cmd"], json::array({"/bin/sh", "-c", "--serve"}));
  EXPECT_EQ(i["Config"]["Env"], json::array({"MODE=prod"}));
  EXPECT_EQ(i["Config"]["WorkingDir"], "/app");
  EXPECT_EQ(i["Config"]["User"], "app");
  EXPECT_TRUE(i["Config"]["ExposedPorts"].contains("8080/tcp"));
  // gzip layer: blob digest differs from the diff_id, which is the uncompressed tar's.
  EXPECT_NE(i["Manifest"]["Layers"][0], i["RootFS"]["Layers"][0]);
  EXPECT_NE(run_command(berth(root) + " image import -c 'RUN true' " + (base_ / "rootfs.tgz").string() + " x:1", &out), 0);
  EXPECT_NE(out.find("unsupported instruction \"RUN\""), std::string::npos) << out;
  ASSERT_EQ(run_command(berth(root) + " image ls --format json", &out), 0);
  auto list = json::parse(out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["RepoTags"][0], "my/app:1");
}

TEST_F(Store, ConcurrentImportsOfTheSameLayerAreSafe) {
  BERTH_REQUIRE_ROOT();
  TarBuilder t;
  t.file("big", std::string(4 << 20, 'x')).file("small", "s");
  t.write_to(base_ / "r.tar");
  fs::path root = base_ / "root";
  std::string cmd;
  for (int i = 0; i < 4; ++i)
    cmd += berth(root) + " image import " + (base_ / "r.tar").string() + " conc/img:" + std::to_string(i) + " >/dev/null & ";
  cmd += "wait";
  std::string out;
  ASSERT_EQ(run_command(cmd, &out), 0) << out;
  ImageStore st(berth::StatePaths::resolve(root));
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(st.find("conc/img:" + std::to_string(i))) << i;
  EXPECT_EQ(count(root / "images/layers"), 1u);
  EXPECT_EQ(count(root / "images/tmp"), 0u);
}
