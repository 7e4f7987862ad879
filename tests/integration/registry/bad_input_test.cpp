// Pulls that cannot work: unknown repository, unknown tag, unknown digest, a registry that is not
// running, a malformed reference. Each is one clear line, a non-zero exit, and an untouched store.
#include "tests/integration/registry/registry_fixture.hpp"

namespace berth::test {
namespace {

class BadInput : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    host_ = start_registry({});
    make_local_image("a", host_ + "/bad/busybox:1");
    std::string out;
    ASSERT_EQ(berth("a", "image push " + host_ + "/bad/busybox:1", &out), 0) << out;
  }

  // Pulls `ref` into an empty store, expects failure with one line holding each of `words`.
  void expect_refused(const std::string& ref, const std::vector<std::string>& words) {
    std::string out;
    EXPECT_NE(berth("b", "image pull " + ref, &out), 0) << ref;
    EXPECT_EQ(count_lines(out), 1) << out;
    EXPECT_TRUE(out.starts_with("berth: ")) << out;
    for (auto& w : words) EXPECT_NE(out.find(w), std::string::npos) << "\"" << w << "\" missing from: " << out;
    EXPECT_EQ(store_contents("b"), "") << "after pulling " << ref;
    std::string images;
    berth("b", "images", &images);
    std::string repo = ref.substr(ref.find('/') + 1);
    EXPECT_EQ(images.find(repo.substr(0, repo.find_first_of(":@"))), std::string::npos) << images;
  }

  std::string host_;
};

TEST_F(BadInput, UnknownRepositoryTagOrDigest) {
  expect_refused(host_ + "/nothing/here:1", {"repository " + host_ + "/nothing/here not found", "NAME_UNKNOWN"});
  expect_refused(host_ + "/bad/busybox:nope", {"tag \"nope\" not found in " + host_ + "/bad/busybox", "MANIFEST_UNKNOWN"});
  std::string zero = "sha256:" + std::string(64, '0');
  expect_refused(host_ + "/bad/busybox@" + zero, {"manifest " + zero + " not found"});
}

TEST_F(BadInput, RegistryDownOrUnreachable) {
  // A port nothing listens on (the registry of this test, stopped).
  std::string port = host_.substr(host_.find(':') + 1);
  for (pid_t pid : children_) stop(pid);
  expect_refused(host_ + "/bad/busybox:1", {"cannot connect to " + host_, "refused"});
  expect_refused("localhost:" + port + "/bad/busybox:1", {"localhost:" + port});
}

TEST_F(BadInput, MalformedReference) {
  expect_refused(host_ + "/Bad/UPPER:1", {"invalid image reference"});
  expect_refused(host_ + "/bad/busybox:" + std::string(200, 't'), {"invalid image reference"});
}

}  // namespace
}  // namespace berth::test
