// A built image saved with `image save` is what skopeo and umoci read: its layers (a RUN's upper
// dir with a deletion as an OCI whiteout), config and BuildKit-style history.
#include "tests/integration/build/build_fixture.hpp"

namespace berth::test {

TEST_F(BuildTest, SavedBuildReadBySkopeoAndUmoci) {
  if (run_command("command -v skopeo && command -v umoci") != 0) GTEST_SKIP() << "skopeo or umoci missing";
  write("Dockerfile",
        "FROM berth-test/busybox\n"
        "RUN echo made > /made.txt && rm /etc/group\n"
        "ENV BUILT=yes\n"
        "CMD [\"cat\", \"/made.txt\"]\n");
  std::string out;
  ASSERT_EQ(build("-t built:interop", &out), 0) << out;
  auto tar = dir_ / "built.tar";
  ASSERT_EQ(berth("image save -o '" + tar.string() + "' built:interop", &out), 0) << out;
  ASSERT_EQ(run_command("skopeo --insecure-policy inspect --config docker-archive:" + tar.string() + " 2>/dev/null", &out), 0) << out;
  EXPECT_NE(out.find("BUILT=yes"), std::string::npos) << out;
  EXPECT_NE(out.find("\"created_by\": \"RUN /bin/sh -c echo made"), std::string::npos) << out;  // skopeo escapes > and &

  auto lay = dir_ / "layout";
  auto bundle = dir_ / "bundle";
  ASSERT_EQ(run_command("skopeo --insecure-policy copy -q docker-archive:" + tar.string() + " oci:" + lay.string() + ":t", &out), 0) << out;
  ASSERT_EQ(run_command("umoci --log error unpack --image " + lay.string() + ":t " + bundle.string(), &out), 0) << out;
  EXPECT_TRUE(fs::exists(bundle / "rootfs" / "made.txt"));
  EXPECT_TRUE(fs::exists(bundle / "rootfs" / "etc" / "passwd"));
  EXPECT_FALSE(fs::exists(bundle / "rootfs" / "etc" / "group")) << "the whiteout was not applied";
}

}  // namespace berth::test
