#include <gtest/gtest.h>

#include "base/error.hpp"
#include "engine/image/image_store.hpp"

using namespace berth::engine;

TEST(Reference, NormalizesDockerHubNames) {
  auto r = parse_reference("redis");
  EXPECT_EQ(r.registry, "docker.io");
  EXPECT_EQ(r.repository, "library/redis");
  EXPECT_EQ(r.tag, "latest");
  EXPECT_EQ(r.str(), "docker.io/library/redis:latest");
  EXPECT_EQ(r.familiar(), "redis:latest");
  EXPECT_EQ(parse_reference("user/app:1.2").str(), "docker.io/user/app:1.2");
  EXPECT_EQ(parse_reference("user/app:1.2").familiar(), "user/app:1.2");
  EXPECT_EQ(parse_reference("index.docker.io/library/redis:7").str(), "docker.io/library/redis:7");
  EXPECT_EQ(parse_reference("docker.io/library/redis:7").familiar(), "redis:7");
}

TEST(Reference, RegistryHostsAndPorts) {
  auto r = parse_reference("host:5000/a/b:tag");
  EXPECT_EQ(r.registry, "host:5000");
  EXPECT_EQ(r.repository, "a/b");
  EXPECT_EQ(r.tag, "tag");
  EXPECT_EQ(r.familiar(), "host:5000/a/b:tag");
  EXPECT_EQ(parse_reference("localhost/x").registry, "localhost");
  EXPECT_EQ(parse_reference("localhost:5000/x").str(), "localhost:5000/x:latest");
  EXPECT_EQ(parse_reference("127.0.0.1:5000/x:y").registry, "127.0.0.1:5000");
  // No '.', ':' or localhost: a Docker Hub namespace, not a host.
  EXPECT_EQ(parse_reference("myhost/x").registry, "docker.io");
}

TEST(Reference, Digests) {
  std::string hex(64, 'a');
  auto r = parse_reference("alpine@sha256:" + hex);
  EXPECT_EQ(r.digest, "sha256:" + hex);
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(r.str(), "docker.io/library/alpine@sha256:" + hex);
  auto both = parse_reference("host:5000/a:1@sha256:" + hex);
  EXPECT_EQ(both.tag, "1");
  EXPECT_EQ(both.digest, "sha256:" + hex);
}

TEST(Reference, InvalidReferencesNameThemselves) {
  for (std::string bad : std::vector<std::string>{"", "Redis", "redis:", "re dis", "a//b", "-a", "a:b:c", "x@sha256:abc", "x@md5:" + std::string(32, 'a'),
                          ":tag", "host:port/x", std::string(64, 'a'), "a/B", "x:" + std::string(129, 't')}) {
    try {
      parse_reference(bad);
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const berth::UserError& e) {
      EXPECT_NE(std::string(e.what()).find("invalid image reference \"" + bad + "\""), std::string::npos) << e.what();
    }
  }
}

TEST(Reference, ChainIds) {
  std::string a = "sha256:" + std::string(64, 'a'), b = "sha256:" + std::string(64, 'b');
  auto ids = chain_ids({a, b});
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], a);
  EXPECT_EQ(ids[1], berth::sha256_digest(a + " " + b));
  EXPECT_NE(chain_ids({b, a})[1], ids[1]);
}

TEST(Overlay, LowerdirTopFirstAndShortenedWhenLong) {
  std::vector<std::filesystem::path> dirs;
  for (int i = 0; i < 3; ++i) dirs.push_back("/r/images/layers/" + std::string(64, char('a' + i)) + "/diff");
  std::string s = overlay_lowerdir(dirs);
  EXPECT_EQ(s.find("/r/images/layers/" + std::string(64, 'c')), 0u);
  dirs.clear();
  for (int i = 0; i < 60; ++i) {
    std::string hex = std::to_string(1000 + i) + std::string(60, 'e');
    dirs.push_back("/var/lib/berth/images/layers/" + hex + "/diff");
  }
  std::string shortened = overlay_lowerdir(dirs);
  EXPECT_LT(shortened.size(), 4096u - 512u);
  EXPECT_EQ(shortened.find("/var/lib/berth/images/l/1059eeeeeeeeeeee:"), 0u) << shortened.substr(0, 80);
  for (int i = 60; i < 200; ++i) dirs.push_back("/var/lib/berth/images/layers/" + std::string(64, 'f') + "/diff");
  EXPECT_THROW(overlay_lowerdir(dirs), berth::UserError);
}
