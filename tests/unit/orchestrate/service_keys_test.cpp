// No service key of the schema is silently dropped: each one berth validates is placed in
// compose/normalize/key_support's table, and the table is checked against what really happens
// (a Spec key changes the container spec, a Warned key brings a warning naming file:line).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "base/error.hpp"
#include "compose/load.hpp"
#include "compose/normalize/key_support.hpp"
#include "compose/orchestrate/container_spec.hpp"
#include "compose/orchestrate/service_hooks.hpp"
#include "engine/runtime/spec_json.hpp"
#include "schema/validate.hpp"

using namespace berth;
using namespace berth::compose;
using namespace berth::compose::orchestrate;
using norm::KeyUse;

namespace {

std::set<std::string> schema_service_keys() {
  auto schema = nlohmann::json::parse(schema::kComposeSpecJson);
  std::set<std::string> keys;
  for (const auto& [k, _] : schema.at("definitions").at("service").at("properties").items()) keys.insert(k);
  return keys;
}

Project load(const std::map<std::string, std::string>& fields) {
  std::string yaml = "services:\n  a:\n";
  for (const auto& [k, v] : fields) yaml += "    " + k + ": " + v + "\n";
  LoadOptions o;
  o.files = {"-"};
  o.stdin_content = yaml;
  o.project_name = "keys";
  o.project_directory = std::filesystem::temp_directory_path().string();
  o.env = std::map<std::string, std::string>{};
  return load_project(o);
}

std::map<std::string, std::string> base_fields() { return {{"image", "busybox"}, {"command", "[\"true\"]"}}; }

nlohmann::json spec_of(const Project& p, std::map<std::string, engine::ContainerInfo> peers = {}) {
  SpecInput in;
  in.project = &p;
  in.service = &p.services.at("a");
  in.name = "keys-a-1";
  in.peers = std::move(peers);
  return engine::spec_to_json(build_spec(in));
}

}  // namespace

TEST(ServiceKeys, EverySchemaKeyIsPlacedInTheTable) {
  auto keys = schema_service_keys();
  ASSERT_GT(keys.size(), 50u);
  for (const auto& k : keys)
    EXPECT_NE(norm::service_key_use(k), nullptr)
        << "services.*." << k << " is in schema/compose-spec.json but berth neither uses it nor warns about it: "
        << "honour it or place it in compose/normalize/key_support.cpp";
  for (const auto& k : norm::service_key_uses())
    EXPECT_TRUE(keys.count(std::string(k.key))) << k.key << " is in the table but not in the schema";
}

TEST(ServiceKeys, SpecKeysChangeTheContainerSpec) {
  const auto base = spec_of(load(base_fields()));
  int checked = 0;
  for (const auto& k : norm::service_key_uses()) {
    if (k.use != KeyUse::Spec || k.example.empty()) continue;
    auto fields = base_fields();
    fields[std::string(k.key)] = std::string(k.example);
    nlohmann::json spec;
    try {
      spec = spec_of(load(fields));
    } catch (const std::exception& e) {
      ADD_FAILURE() << k.key << ": " << describe(e);
      continue;
    }
    EXPECT_NE(spec, base) << k.key << ": " << k.example << " does not reach the container spec";
    ++checked;
  }
  EXPECT_GT(checked, 40);
}

TEST(ServiceKeys, WarnedKeysAreWarnedAboutWithTheirLine) {
  const std::regex located(R"(:[0-9]+: services\.a\.)");
  for (const auto& k : norm::service_key_uses()) {
    if (k.use != KeyUse::Warned) continue;
    ASSERT_FALSE(k.example.empty()) << k.key;
    auto fields = base_fields();
    fields[std::string(k.key)] = std::string(k.example);
    Project p;
    try {
      p = load(fields);
    } catch (const std::exception& e) {
      ADD_FAILURE() << k.key << ": " << describe(e);
      continue;
    }
    bool found = false;
    for (const auto& w : p.ignored)
      if (w.find("services.a." + std::string(k.key)) != std::string::npos && std::regex_search(w, located)) found = true;
    EXPECT_TRUE(found) << k.key << " is not warned about (warnings: " << nlohmann::json(p.ignored).dump() << ")";
  }
}

TEST(ServiceKeys, NamespaceModesAndGroupsReachTheSpec) {
  auto fields = base_fields();
  fields["pid"] = "\"service:b\"";
  fields["ipc"] = "\"container:other\"";
  fields["uts"] = "host";
  fields["group_add"] = "[audio, \"1234\"]";
  fields["depends_on"] = "[b]";
  auto p = [&] {
    auto f = fields;
    LoadOptions o;
    o.files = {"-"};
    o.stdin_content = "services:\n  b:\n    image: busybox\n  a:\n";
    for (const auto& [k, v] : f) o.stdin_content += "    " + k + ": " + v + "\n";
    o.project_name = "keys";
    o.project_directory = std::filesystem::temp_directory_path().string();
    o.env = std::map<std::string, std::string>{};
    return load_project(o);
  }();
  engine::ContainerInfo b;
  b.id = std::string(64, 'b');
  auto spec = spec_of(p, {{"b", b}});
  EXPECT_EQ(spec.value("pid_mode", ""), "container:" + b.id);
  EXPECT_EQ(spec.value("ipc_mode", ""), "container:other");
  EXPECT_EQ(spec.value("uts_mode", ""), "host");
  EXPECT_EQ(spec.value("group_add", std::vector<std::string>{}), (std::vector<std::string>{"audio", "1234"}));
  EXPECT_THROW(spec_of(p), UserError);  // service:b without b's container
}

TEST(ServiceKeys, VolumesFromTakesThePeersMountsWithTheirMode) {
  auto fields = base_fields();
  fields["volumes_from"] = "[b, \"container:c:ro\"]";
  fields["depends_on"] = "[b]";
  LoadOptions o;
  o.files = {"-"};
  o.stdin_content = "services:\n  b:\n    image: busybox\n  a:\n";
  for (const auto& [k, v] : fields) o.stdin_content += "    " + k + ": " + v + "\n";
  o.project_name = "keys";
  o.project_directory = std::filesystem::temp_directory_path().string();
  o.env = std::map<std::string, std::string>{};
  Project p = load_project(o);
  engine::ContainerInfo b, c;
  b.id = std::string(64, 'b');
  engine::MountSpec data;
  data.type = engine::MountSpec::Type::VolumeDir;
  data.source = "/var/lib/berth/volumes/x/_data";
  data.target = "/data";
  engine::MountSpec tmp;
  tmp.type = engine::MountSpec::Type::Tmpfs;
  tmp.target = "/scratch";
  b.spec.mounts = {data, tmp};
  engine::MountSpec conf;
  conf.source = "/etc/x";
  conf.target = "/conf";
  c.spec.mounts = {conf};
  SpecInput in;
  in.project = &p;
  in.service = &p.services.at("a");
  in.name = "keys-a-1";
  in.peers = {{"b", b}, {"container:c", c}};
  auto spec = build_spec(in);
  ASSERT_EQ(spec.mounts.size(), 2u);  // not the tmpfs
  EXPECT_EQ(spec.mounts[0].target, "/data");
  EXPECT_FALSE(spec.mounts[0].read_only);
  EXPECT_EQ(spec.mounts[1].target, "/conf");
  EXPECT_TRUE(spec.mounts[1].read_only);
  EXPECT_EQ(peer_refs(p.services.at("a")), (std::vector<std::string>{"b", "container:c"}));
}

TEST(ServiceKeys, PlatformRefusesAnImageOfAnotherPlatform) {
  auto fields = base_fields();
  fields["platform"] = "linux/arm64/v8";
  Project p = load(fields);
  SpecInput in;
  in.project = &p;
  in.service = &p.services.at("a");
  in.name = "keys-a-1";
  in.image.os = "linux";
  in.image.architecture = "amd64";
  try {
    build_spec(in);
    ADD_FAILURE() << "an amd64 image was taken for linux/arm64/v8";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("does not match the specified platform (linux/arm64/v8)"), std::string::npos)
        << e.what();
  }
  in.image.architecture = "arm64";
  EXPECT_NO_THROW(build_spec(in));
  in.image.architecture = "";  // not said: taken
  EXPECT_NO_THROW(build_spec(in));
}

TEST(ServiceKeys, HooksBecomeExecRequests) {
  auto fields = base_fields();
  fields["post_start"] = "[{command: [touch, /x], user: nobody, working_dir: /tmp, privileged: true, environment: {A: b}}]";
  fields["pre_stop"] = "[{command: \"echo bye\"}]";
  Project p = load(fields);
  EXPECT_TRUE(p.ignored.empty()) << nlohmann::json(p.ignored).dump();
  auto post = service_hooks(p.services.at("a"), "post_start");
  ASSERT_EQ(post.size(), 1u);
  EXPECT_EQ(post[0].argv, (std::vector<std::string>{"touch", "/x"}));
  EXPECT_EQ(post[0].user, "nobody");
  EXPECT_EQ(post[0].working_dir, "/tmp");
  EXPECT_TRUE(post[0].privileged);
  EXPECT_EQ(post[0].env, (std::vector<std::string>{"A=b"}));
  auto pre = service_hooks(p.services.at("a"), "pre_stop");
  ASSERT_EQ(pre.size(), 1u);
  EXPECT_EQ(pre[0].argv, (std::vector<std::string>{"/bin/sh", "-c", "echo bye"}));
}

TEST(ServiceKeys, ALoggingDriverOtherThanJsonFileIsWarnedAboutWithItsLine) {
  auto fields = base_fields();
  fields["logging"] = "{driver: none}";
  Project p = load(fields);
  ASSERT_EQ(p.ignored.size(), 1u) << nlohmann::json(p.ignored).dump();
  EXPECT_TRUE(std::regex_search(p.ignored[0], std::regex(R"(:[0-9]+: services\.a\.logging\.driver "none")"))) << p.ignored[0];
  fields["logging"] = "{driver: json-file}";
  EXPECT_TRUE(load(fields).ignored.empty());
}
