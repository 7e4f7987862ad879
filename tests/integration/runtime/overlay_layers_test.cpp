// A container of an image with many layers starts whichever way overlayfs gets mounted: the new
// mount API ("lowerdir+", kernels >= 6.8) or mount(2) with its one-page option string (kernels
// before 6.5, e.g. Debian 11's 5.10 and 12's 6.1). BERTH_OVERLAY_MOUNT=mount2 forces the latter
// on any kernel, so the host's suite covers what old kernels run; in a VM with an old kernel
// (scripts/test-in-vm.sh) the automatic choice takes it by itself.
#include <sys/utsname.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/paths.hpp"
#include "base/sha256.hpp"
#include "engine/image/image_store.hpp"
#include "tests/integration/image/tar_builder.hpp"
#include "tests/support/runtime_fixture.hpp"

namespace berth::test {
namespace {

using nlohmann::json;

class OverlayLayers : public RuntimeTest, public ::testing::WithParamInterface<const char*> {
 protected:
  // The busybox image with `extra` one-file layers on top: layer i adds /layers/i and rewrites /top.
  static std::string many_layer_image(int extra) {
    std::string ref = "berth-test/layers:" + std::to_string(extra);
    engine::ImageStore st(StatePaths::resolve(root()));
    if (st.find(ref)) return ref;
    engine::Image base = st.get(image());
    engine::ImageConfig cfg = st.config(base);
    json manifest = json::parse(st.manifest_json(base));
    for (int i = 0; i < extra; ++i) {
      TarBuilder t;
      t.file("layers/" + std::to_string(i), "x").file("top", std::to_string(i));
      std::string d = st.put_blob(t.finish());
      cfg.diff_ids.push_back(d);
      manifest["layers"].push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"}, {"digest", d}, {"size", 1}});
    }
    std::string c = engine::serialize_image_config(cfg);
    manifest["mediaType"] = "application/vnd.oci.image.manifest.v1+json";
    manifest["config"] = {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"digest", sha256_digest(c)}, {"size", c.size()}};
    st.commit_image(manifest.dump(), c, {ref});
    return ref;
  }
  void SetUp() override {
    RuntimeTest::SetUp();
    if (*GetParam()) ::setenv("BERTH_OVERLAY_MOUNT", GetParam(), 1);  // inherited by berth -> monitor -> init
  }
  void TearDown() override {
    ::unsetenv("BERTH_OVERLAY_MOUNT");
    RuntimeTest::TearDown();
  }
  // Runs `sh -c SCRIPT` in a container of `ref`: its output, the test failing on a non-zero status.
  std::string run(const std::string& ref, const std::string& script) {
    std::string out;
    EXPECT_EQ(berth("container run --rm " + ref + " sh -c " + quote(script), &out), 0) << out;
    return out;
  }
};

// 100 extra layers: neither their paths (~115 bytes each under this root) nor the store's short
// links (~57) fit one page, so mount(2) names them /proc/self/fd/N.
TEST_P(OverlayLayers, HundredLayerImageStartsAndSeesEveryLayer) {
  std::string ref = many_layer_image(100);
  std::string out = run(ref, "cat /top; echo; ls /layers | wc -l; echo w >/new && cat /new; grep ' / / ' /proc/self/mountinfo");
  auto lines = lines_of(out);
  ASSERT_GE(lines.size(), 4u) << out;
  EXPECT_EQ(lines[0], "99") << "the top layer wins";
  EXPECT_EQ(lines[1], "100") << "every layer is there";
  EXPECT_EQ(lines[2], "w") << "the upper is writable";
  if (std::string(GetParam()) == "mount2") {
    EXPECT_NE(lines[3].find("lowerdir=/proc/self/fd/"), std::string::npos) << "mount(2) with descriptor paths: " << lines[3];
  } else {
    // The automatic choice: the new mount API where overlayfs has "lowerdir+" (6.8), else mount(2).
    struct utsname u;
    ::uname(&u);
    int major = 0, minor = 0;
    std::sscanf(u.release, "%d.%d", &major, &minor);
    bool plus = major > 6 || (major == 6 && minor >= 8);
    EXPECT_EQ(lines[3].find("lowerdir+=") != std::string::npos, plus) << u.release << ": " << lines[3];
  }
}

// 45 extra layers: their paths do not fit one page, the store's short links do.
TEST_P(OverlayLayers, FortyFiveLayerImageStarts) {
  std::string out = run(many_layer_image(45), "cat /top; echo; ls /layers | wc -l; grep ' / / ' /proc/self/mountinfo");
  auto lines = lines_of(out);
  ASSERT_GE(lines.size(), 3u) << out;
  EXPECT_EQ(lines[0], "44");
  EXPECT_EQ(lines[1], "45");
  if (std::string(GetParam()) == "mount2") {
    EXPECT_NE(lines[2].find("/images/l/"), std::string::npos) << "mount(2) with the short links: " << lines[2];
  }
}

INSTANTIATE_TEST_SUITE_P(Mount, OverlayLayers, ::testing::Values("", "mount2"),
                         [](const auto& info) { return std::string(*info.param ? info.param : "auto"); });

}  // namespace
}  // namespace berth::test
