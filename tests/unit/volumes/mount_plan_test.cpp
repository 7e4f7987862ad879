#include <gtest/gtest.h>

#include "base/error.hpp"
#include "volumes/mount_plan.hpp"

using namespace berth::volumes;

namespace {

std::function<std::string()> counter_names() {
  auto n = std::make_shared<int>(0);
  return [n] { return "anon" + std::to_string(++*n); };
}

MountRequest bind(std::string src, std::string target, bool ro = false) {
  MountRequest r;
  r.kind = MountRequest::Kind::Bind;
  r.source = std::move(src);
  r.target = std::move(target);
  r.read_only = ro;
  return r;
}

MountRequest named(std::string name, std::string target) {
  MountRequest r;
  r.kind = MountRequest::Kind::Named;
  r.source = std::move(name);
  r.target = std::move(target);
  return r;
}

MountRequest anon(std::string target) {
  MountRequest r;
  r.kind = MountRequest::Kind::Anonymous;
  r.target = std::move(target);
  return r;
}

}  // namespace

TEST(MountPlan, ServiceMountsAreKeptWithTheirKinds) {
  MountPlanInput in;
  in.requests = {bind("/srv/www", "/www", true), named("proj_data", "/data"), anon("/cache")};
  MountRequest t;
  t.kind = MountRequest::Kind::Tmpfs;
  t.target = "/run";
  t.tmpfs_size = 65536;
  t.tmpfs_mode = 01777;
  in.requests.push_back(t);
  auto plan = plan_mounts(in, counter_names());
  ASSERT_EQ(plan.size(), 4u);
  // Same depth: sorted by target.
  EXPECT_EQ(plan[0].target, "/cache");
  EXPECT_EQ(plan[0].source, "anon1");
  EXPECT_TRUE(plan[0].anonymous);
  EXPECT_EQ(plan[1].target, "/data");
  EXPECT_EQ(plan[1].type, PlannedMount::Type::Volume);
  EXPECT_EQ(plan[1].source, "proj_data");
  EXPECT_FALSE(plan[1].anonymous);
  EXPECT_TRUE(plan[1].copy_up);
  EXPECT_EQ(plan[2].target, "/run");
  EXPECT_EQ(plan[2].type, PlannedMount::Type::Tmpfs);
  EXPECT_EQ(plan[2].options, (std::vector<std::string>{"size=65536", "mode=1777"}));
  EXPECT_EQ(plan[3].target, "/www");
  EXPECT_EQ(plan[3].type, PlannedMount::Type::Bind);
  EXPECT_EQ(plan[3].source, "/srv/www");
  EXPECT_TRUE(plan[3].read_only);
}

TEST(MountPlan, ServiceWinsOverVolumesFromWhichWinsOverImage) {
  MountPlanInput in;
  in.requests = {named("vol", "/data")};
  in.image_volumes = {"/data", "/logs", "/var/lib/x/"};
  PlannedMount inherited;
  inherited.type = PlannedMount::Type::Volume;
  inherited.source = "other_logs";
  inherited.target = "/logs";
  inherited.read_only = true;
  in.inherited = {inherited};
  auto plan = plan_mounts(in, counter_names());
  ASSERT_EQ(plan.size(), 3u);
  // Sorted parents first: /data, /logs, then /var/lib/x.
  EXPECT_EQ(plan[0].target, "/data");
  EXPECT_EQ(plan[0].source, "vol");
  EXPECT_EQ(plan[0].origin, "service");
  EXPECT_EQ(plan[1].target, "/logs");
  EXPECT_EQ(plan[1].source, "other_logs");
  EXPECT_TRUE(plan[1].read_only);
  EXPECT_FALSE(plan[1].copy_up);
  EXPECT_EQ(plan[2].target, "/var/lib/x");
  EXPECT_TRUE(plan[2].anonymous);
  EXPECT_EQ(plan[2].origin, "image");
}

TEST(MountPlan, RecreatedContainerKeepsItsAnonymousVolumes) {
  MountPlanInput in;
  in.requests = {anon("/cache")};
  in.image_volumes = {"/data"};
  in.previous_anonymous = {{"/cache", "oldcache"}, {"/data", "olddata"}};
  auto plan = plan_mounts(in, counter_names());
  ASSERT_EQ(plan.size(), 2u);
  for (auto& m : plan) EXPECT_EQ(m.source, m.target == "/cache" ? "oldcache" : "olddata");
}

TEST(MountPlan, ParentsAreMountedBeforeChildren) {
  MountPlanInput in;
  in.requests = {anon("/data/cache"), bind("/h", "/data")};
  auto plan = plan_mounts(in, counter_names());
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].target, "/data");
  EXPECT_EQ(plan[1].target, "/data/cache");
}

TEST(MountPlan, RejectsDuplicateAndRelativeTargets) {
  MountPlanInput dup;
  dup.requests = {anon("/data"), bind("/h", "/data/")};
  EXPECT_THROW(
      {
        try {
          plan_mounts(dup, counter_names());
        } catch (const berth::UserError& e) {
          EXPECT_STREQ(e.what(), "duplicate mount point: /data");
          throw;
        }
      },
      berth::UserError);
  MountPlanInput rel;
  rel.requests = {anon("data")};
  EXPECT_THROW(plan_mounts(rel, counter_names()), berth::UserError);
  MountPlanInput relsrc;
  relsrc.requests = {bind("./www", "/www")};
  EXPECT_THROW(plan_mounts(relsrc, counter_names()), berth::UserError);
  MountPlanInput badname;
  badname.requests = {named("a/b", "/x")};
  EXPECT_THROW(plan_mounts(badname, counter_names()), berth::UserError);
}

TEST(MountPlan, NocopyAndLabelsOfAnonymousVolumes) {
  MountPlanInput in;
  auto r = anon("/x");
  r.nocopy = true;
  in.requests = {r};
  in.anonymous_labels = {{"com.docker.compose.project", "p"}};
  auto plan = plan_mounts(in, counter_names());
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_FALSE(plan[0].copy_up);
  EXPECT_EQ(plan[0].labels.at("com.docker.compose.project"), "p");
}
