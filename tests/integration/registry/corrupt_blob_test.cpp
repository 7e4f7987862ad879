// A blob damaged in the registry's storage (same size, one byte flipped: the registry serves it as
// it is) is refused by digest, with one line, and nothing of the pull stays in berth's store.
#include <nlohmann/json.hpp>

#include "tests/integration/registry/registry_fixture.hpp"

namespace berth::test {
namespace {

class CorruptBlob : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    host_ = start_registry({});
    ref_ = host_ + "/bad/busybox:1";
    make_local_image("a", ref_);
    std::string out;
    ASSERT_EQ(berth("a", "image push " + ref_, &out), 0) << out;
    ASSERT_EQ(run_command("curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json, "
                          "application/vnd.docker.distribution.manifest.v2+json' http://" + host_ + "/v2/bad/busybox/manifests/1",
                          &out),
              0)
        << out;
    auto m = nlohmann::json::parse(out);
    config_ = m["config"]["digest"];
    layer_ = m["layers"].back()["digest"];
  }

  fs::path blob_file(const std::string& digest) {
    return registry_data() / "blobs" / "sha256" / digest.substr(7, 2) / digest.substr(7) / "data";
  }

  // Flips one byte in the middle of a stored blob; returns the original byte to put back.
  char flip(const std::string& digest) {
    std::fstream f(blob_file(digest), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    std::streamoff mid = f.tellg() / 2;
    f.seekg(mid);
    char c = 0;
    f.get(c);
    f.seekp(mid);
    f.put(static_cast<char>(c ^ 0x5a));
    return c;
  }
  void put_back(const std::string& digest, char c) {
    std::fstream f(blob_file(digest), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    f.seekp(f.tellg() / 2);
    f.put(c);
  }

  std::string host_, ref_, config_, layer_;
};

TEST_F(CorruptBlob, DamagedLayerOrConfigIsRefusedAndLeavesNothing) {
  ASSERT_TRUE(fs::exists(blob_file(layer_))) << blob_file(layer_);
  std::string out;
  char orig = flip(layer_);
  EXPECT_NE(berth("b", "image pull " + ref_, &out, "", true), 0);
  EXPECT_EQ(count_lines(out), 1) << out;
  EXPECT_NE(out.find("blob " + layer_ + " from " + host_ + "/bad/busybox is corrupt"), std::string::npos) << out;
  EXPECT_EQ(store_contents("b"), "");
  put_back(layer_, orig);

  orig = flip(config_);
  EXPECT_NE(berth("b", "image pull " + ref_, &out, "", true), 0);
  EXPECT_EQ(count_lines(out), 1) << out;
  EXPECT_NE(out.find(config_), std::string::npos) << out;
  EXPECT_NE(out.find("corrupt"), std::string::npos) << out;
  EXPECT_EQ(store_contents("b"), "");
  put_back(config_, orig);

  // Repaired, the same store pulls it.
  ASSERT_EQ(berth("b", "image pull " + ref_, &out), 0) << out;
  ASSERT_EQ(berth("b", "container run --rm " + ref_ + " echo intact", &out), 0) << out;
  EXPECT_EQ(out, "intact\n");
}

}  // namespace
}  // namespace berth::test
