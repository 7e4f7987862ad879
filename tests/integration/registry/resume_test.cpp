// Interrupted layer downloads resume with a Range request: within one pull (the connection drops
// mid-blob), and across pulls (the first pull fails after the drop, the next continues from the
// partial file). A loopback proxy (cutting_proxy.py) in front of docker-registry does the cutting.
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "tests/integration/registry/registry_fixture.hpp"

namespace berth::test {
namespace {

class Resume : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    std::string upstream = start_registry({});
    make_local_image("a", upstream + "/res/busybox:1");
    std::string out;
    ASSERT_EQ(berth("a", "image push " + upstream + "/res/busybox:1", &out), 0) << out;
    ASSERT_EQ(run_command("curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json, "
                          "application/vnd.docker.distribution.manifest.v2+json' http://" + upstream + "/v2/res/busybox/manifests/1",
                          &out),
              0)
        << out;
    auto m = nlohmann::json::parse(out);
    layer_ = m["layers"].back()["digest"];
    layer_size_ = m["layers"].back()["size"];
    ASSERT_GT(layer_size_, 65536u) << "the proxy only cuts blobs over 64 KiB";

    int port = free_loopback_port();
    proxy_ = "127.0.0.1:" + std::to_string(port);
    mode_ = dir_ / "proxy.mode";
    log_ = dir_ / "proxy.log";
    spawn({"/usr/bin/python3", std::string(BERTH_SOURCE_DIR) + "/tests/integration/registry/cutting_proxy.py", std::to_string(port),
           upstream, mode_.string(), log_.string()},
          dir_ / "proxy.out");
    ASSERT_TRUE(wait_http("http://" + proxy_ + "/v2/")) << read_text(dir_ / "proxy.out");
    ref_ = proxy_ + "/res/busybox:1";
  }

  void set_mode(const std::string& m) { std::ofstream(mode_) << m << "\n"; }
  // The proxy's log lines for GETs of the layer blob.
  std::vector<std::string> layer_gets() { return lines_with(read_text(log_), "GET /v2/res/busybox/blobs/" + layer_); }

  fs::path mode_, log_;
  std::string proxy_, ref_, layer_;
  std::uint64_t layer_size_ = 0;
};

TEST_F(Resume, DroppedConnectionResumesWithinThePull) {
  set_mode("cut");
  std::string out;
  ASSERT_EQ(berth("b", "image pull " + ref_, &out), 0) << out;
  EXPECT_NE(out.find("Resuming at"), std::string::npos) << out;
  auto gets = layer_gets();
  ASSERT_EQ(gets.size(), 2u) << read_text(log_);
  EXPECT_NE(gets[0].find("range=-"), std::string::npos) << gets[0];
  EXPECT_NE(gets[1].find("range=bytes="), std::string::npos) << gets[1];
  EXPECT_EQ(gets[1].find("range=bytes=0-"), std::string::npos) << gets[1];
  ASSERT_EQ(berth("b", "container run --rm " + ref_ + " echo resumed", &out), 0) << out;
  EXPECT_EQ(out, "resumed\n");
}

TEST_F(Resume, AFailedPullLeavesAPartialTheNextPullContinues) {
  set_mode("cut-refuse");
  std::string out;
  EXPECT_NE(berth("b", "image pull " + ref_, &out, "", true), 0);
  EXPECT_EQ(count_lines(out), 1) << out;
  EXPECT_NE(out.find("UNAVAILABLE"), std::string::npos) << out;
  // Only the partial download remains, invisible to the store.
  EXPECT_EQ(store_contents("b", true), "");
  fs::path part = dir_ / "b" / "images" / "tmp" / ("pull-" + layer_.substr(7) + ".partial");
  struct stat st {};
  ASSERT_EQ(::stat(part.c_str(), &st), 0) << part;
  ASSERT_GT(st.st_size, 0);
  ASSERT_LT(static_cast<std::uint64_t>(st.st_size), layer_size_);
  std::string images;
  berth("b", "images", &images);
  EXPECT_EQ(images.find("res/busybox"), std::string::npos) << images;

  set_mode("pass");
  ASSERT_EQ(berth("b", "image pull " + ref_, &out), 0) << out;
  EXPECT_NE(out.find("Resuming at"), std::string::npos) << out;
  auto gets = layer_gets();
  ASSERT_GE(gets.size(), 3u) << read_text(log_);
  EXPECT_NE(gets.back().find("range=bytes=" + std::to_string(st.st_size) + "-"), std::string::npos) << read_text(log_);
  EXPECT_FALSE(fs::exists(part));
  ASSERT_EQ(berth("b", "container run --rm " + ref_ + " echo continued", &out), 0) << out;
  EXPECT_EQ(out, "continued\n");
}

}  // namespace
}  // namespace berth::test
