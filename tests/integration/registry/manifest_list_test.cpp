// A manifest list with several platforms, written by the test and pushed over the distribution API
// with curl: one image per platform, each the busybox image plus a layer holding /platform. A pull
// takes the host's platform, --platform chooses another, and a platform the list lacks is refused.
#include <nlohmann/json.hpp>

#include "base/sha256.hpp"
#include "engine/registry/registry.hpp"
#include "tests/integration/registry/registry_fixture.hpp"

namespace berth::test {
namespace {

using nlohmann::json;

class ManifestList : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    host_ = start_registry({});
    make_local_image("a", host_ + "/ml/busybox:base");
    std::string out;
    ASSERT_EQ(berth("a", "image push " + host_ + "/ml/busybox:base", &out), 0) << out;
    ASSERT_NO_FATAL_FAILURE(build_list());
  }

  std::string url(const std::string& path) { return "http://" + host_ + "/v2/ml/busybox/" + path; }

  std::string get(const std::string& path) {
    std::string out;
    EXPECT_EQ(run_command("curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json, "
                          "application/vnd.docker.distribution.manifest.v2+json' " + sh_quote(url(path)),
                          &out),
              0)
        << out;
    return out;
  }

  fs::path write_temp(const std::string& bytes) {
    fs::path f = dir_ / ("upload-" + std::to_string(++uploads_));
    std::ofstream(f, std::ios::binary) << bytes;
    return f;
  }

  // POST an upload session, PUT the bytes with their digest.
  std::string push_blob(const std::string& bytes) {
    std::string digest = sha256_digest(bytes);
    std::string headers;
    EXPECT_EQ(run_command("curl -sf -o /dev/null -D - -X POST " + sh_quote(url("blobs/uploads/")), &headers), 0) << headers;
    auto loc = lines_with(headers, "ocation: ");
    EXPECT_EQ(loc.size(), 1u) << headers;
    if (loc.empty()) return digest;
    std::string location = loc[0].substr(loc[0].find(": ") + 2);
    if (!location.empty() && location.back() == '\r') location.pop_back();
    if (location.starts_with("/")) location = "http://" + host_ + location;
    location += (location.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") + digest;
    std::string out;
    EXPECT_EQ(run_command("curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary @" +
                              sh_quote(write_temp(bytes).string()) + " " + sh_quote(location),
                          &out),
              0)
        << out;
    return digest;
  }

  std::string put_manifest(const std::string& reference, const std::string& body, const std::string& media_type) {
    std::string out;
    EXPECT_EQ(run_command("curl -sf -X PUT -H " + sh_quote("Content-Type: " + media_type) + " --data-binary @" +
                              sh_quote(write_temp(body).string()) + " " + sh_quote(url("manifests/" + reference)),
                          &out),
              0)
        << out;
    return sha256_digest(body);
  }

  void build_list() {
    json base = json::parse(get("manifests/base"));
    bool docker = base.value("mediaType", "") == "application/vnd.docker.distribution.manifest.v2+json";
    std::string manifest_type = docker ? "application/vnd.docker.distribution.manifest.v2+json" : "application/vnd.oci.image.manifest.v1+json";
    std::string layer_type = docker ? "application/vnd.docker.image.rootfs.diff.tar.gzip" : "application/vnd.oci.image.layer.v1.tar+gzip";
    json config = json::parse(get("blobs/" + base["config"]["digest"].get<std::string>()));

    // The host's platform first (so the default pull has something to find), then two others.
    platforms_ = {engine::host_platform()};
    for (std::string p : {"linux/amd64", "linux/arm64/v8", "linux/arm/v7"})
      if (p != platforms_[0] && platforms_.size() < 3) platforms_.push_back(p);

    json index = {{"schemaVersion", 2},
                  {"mediaType", docker ? "application/vnd.docker.distribution.manifest.list.v2+json" : "application/vnd.oci.image.index.v1+json"},
                  {"manifests", json::array()}};
    for (size_t i = 0; i < platforms_.size(); ++i) {
      const std::string& p = platforms_[i];
      fs::path layer_dir = dir_ / ("layer-" + std::to_string(i));
      fs::create_directories(layer_dir);
      std::ofstream(layer_dir / "platform") << p << "\n";
      std::string out;
      ASSERT_EQ(run_command("cd " + sh_quote(layer_dir.string()) + " && tar --owner=0 --group=0 -cf ../layer.tar platform && gzip -n -f ../layer.tar", &out), 0)
          << out;
      std::string gz = read_text(dir_ / "layer.tar.gz");
      ASSERT_EQ(run_command("gzip -d -f " + sh_quote((dir_ / "layer.tar.gz").string()), &out), 0) << out;
      std::string diff_id = sha256_digest(read_text(dir_ / "layer.tar"));

      std::string arch = p.substr(6, p.find('/', 6) - 6);
      std::string variant = p.find('/', 6) == std::string::npos ? "" : p.substr(p.find('/', 6) + 1);
      json cfg = config;
      cfg["architecture"] = arch;
      if (variant.empty())
        cfg.erase("variant");
      else
        cfg["variant"] = variant;
      cfg["rootfs"]["diff_ids"].push_back(diff_id);
      std::string cfg_bytes = cfg.dump();

      json m = base;
      m["config"]["digest"] = push_blob(cfg_bytes);
      m["config"]["size"] = cfg_bytes.size();
      m["layers"].push_back({{"mediaType", layer_type}, {"digest", push_blob(gz)}, {"size", gz.size()}});
      std::string body = m.dump();
      json platform = {{"os", "linux"}, {"architecture", arch}};
      if (!variant.empty()) platform["variant"] = variant;
      index["manifests"].push_back(
          {{"mediaType", manifest_type}, {"digest", put_manifest(sha256_digest(body), body, manifest_type)}, {"size", body.size()}, {"platform", platform}});
    }
    index_digest_ = put_manifest("multi", index.dump(), index["mediaType"]);
  }

  std::string platform_file(const std::string& root, const std::string& ref) {
    std::string out;
    EXPECT_EQ(berth(root, "container run --rm " + ref + " cat /platform", &out), 0) << out;
    return out;
  }

  std::string host_, index_digest_;
  std::vector<std::string> platforms_;
  int uploads_ = 0;
};

TEST_F(ManifestList, DefaultPullTakesTheHostPlatform) {
  std::string out;
  std::string ref = host_ + "/ml/busybox:multi";
  ASSERT_EQ(berth("b", "image pull " + ref, &out), 0) << out;
  EXPECT_EQ(platform_file("b", ref), platforms_[0] + "\n");
  ASSERT_EQ(berth("b", "image inspect " + ref, &out), 0) << out;
  EXPECT_NE(out.find("\"Architecture\": \"" + platforms_[0].substr(6, platforms_[0].find('/', 6) - 6) + "\""), std::string::npos) << out;
}

TEST_F(ManifestList, PlatformFlagChoosesAnEntry) {
  std::string out;
  std::string ref = host_ + "/ml/busybox:multi";
  ASSERT_EQ(berth("b", "image pull --platform " + platforms_[1] + " " + ref, &out), 0) << out;
  EXPECT_EQ(platform_file("b", ref), platforms_[1] + "\n");
  // By the list's digest, and with the variant left to its default (arm -> v7).
  std::string by_digest = host_ + "/ml/busybox@" + index_digest_;
  ASSERT_EQ(berth("c", "image pull --platform linux/arm " + by_digest, &out), 0) << out;
  EXPECT_EQ(platform_file("c", by_digest), "linux/arm/v7\n");
  ASSERT_EQ(berth("c", "image inspect " + by_digest, &out), 0) << out;
  EXPECT_NE(out.find("\"Architecture\": \"arm\""), std::string::npos) << out;
}

TEST_F(ManifestList, MissingPlatformIsOneLineNamingWhatThereIs) {
  std::string out;
  EXPECT_NE(berth("b", "image pull --platform linux/s390x " + host_ + "/ml/busybox:multi", &out), 0);
  EXPECT_EQ(count_lines(out), 1) << out;
  EXPECT_NE(out.find("no image for platform linux/s390x"), std::string::npos) << out;
  for (auto& p : platforms_) EXPECT_NE(out.find(p), std::string::npos) << p << " not named in: " << out;
  EXPECT_EQ(store_contents("b"), "");
  EXPECT_NE(berth("b", "image pull --platform linux/ " + host_ + "/ml/busybox:multi", &out), 0);
  EXPECT_NE(out.find("invalid platform"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::test
