#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "volumes/copy_up.hpp"
#include "volumes/mount_plan.hpp"
#include "volumes/volume_store.hpp"

using namespace berth::volumes;
namespace fs = std::filesystem;

namespace {

class VolumeStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-volumes-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    paths_.root = root_ / "state";
    paths_.runtime = root_ / "run";
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
  berth::StatePaths paths_;
};

}  // namespace

TEST_F(VolumeStoreTest, EnsureCreatesOnceAndRecordsLabels) {
  VolumeStore store(paths_);
  VolumeCreate req;
  req.name = "proj_data";
  req.labels = {{"com.docker.compose.project", "proj"}};
  auto a = store.ensure(req);
  EXPECT_TRUE(a.created);
  EXPECT_TRUE(fs::is_directory(a.info.mountpoint));
  EXPECT_EQ(a.info.mountpoint, paths_.root / "volumes" / "proj_data" / "_data");
  std::ofstream(a.info.mountpoint / "f") << "x";
  req.labels = {};
  auto b = store.ensure(req);
  EXPECT_FALSE(b.created);
  EXPECT_EQ(b.info.labels.at("com.docker.compose.project"), "proj");
  EXPECT_TRUE(fs::exists(b.info.mountpoint / "f"));
  auto all = store.list();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "proj_data");
  EXPECT_FALSE(all[0].created.empty());
}

TEST_F(VolumeStoreTest, AnonymousVolumesGetARandomNameAndTheLabel) {
  VolumeStore store(paths_);
  auto v = store.ensure({}).info;
  EXPECT_EQ(v.name.size(), 64u);
  EXPECT_TRUE(v.anonymous());
}

TEST_F(VolumeStoreTest, RemoveDeletesContentAndRecord) {
  VolumeStore store(paths_);
  VolumeCreate req;
  req.name = "gone";
  auto v = store.ensure(req).info;
  std::ofstream(v.mountpoint / "f") << "x";
  store.remove("gone");
  EXPECT_FALSE(fs::exists(v.dir));
  EXPECT_FALSE(store.find("gone"));
  EXPECT_THROW(store.remove("gone"), berth::UserError);
  EXPECT_THROW(store.get("gone"), berth::UserError);
}

TEST_F(VolumeStoreTest, RejectsBadNamesDriversAndMissingBindDevices) {
  VolumeStore store(paths_);
  VolumeCreate bad;
  for (const std::string& name : std::vector<std::string>{"-x", "../../escape", "a/b", "a\nb", std::string(129, 'v')}) {
    bad.name = name;
    EXPECT_THROW(store.ensure(bad), berth::UserError) << name;
  }
  EXPECT_TRUE(valid_volume_name(std::string(128, 'v')));
  VolumeCreate drv;
  drv.name = "x";
  drv.driver = "nfs-plugin";
  EXPECT_THROW(store.ensure(drv), berth::UserError);
  VolumeCreate dev;
  dev.name = "y";
  dev.driver_opts = {{"type", "none"}, {"o", "bind"}, {"device", (root_ / "missing").string()}};
  EXPECT_THROW(store.ensure(dev), berth::UserError);
  EXPECT_TRUE(store.list().empty());
}

TEST_F(VolumeStoreTest, BindStyleVolumeIsItsDevice) {
  VolumeStore store(paths_);
  fs::create_directories(root_ / "dev");
  VolumeCreate dev;
  dev.name = "bound";
  dev.driver_opts = {{"type", "none"}, {"o", "bind"}, {"device", (root_ / "dev").string()}};
  auto v = store.ensure(dev).info;
  EXPECT_EQ(v.source(), root_ / "dev");
  store.remove("bound");
  EXPECT_TRUE(fs::is_directory(root_ / "dev"));  // the device is the user's, never deleted
}

TEST_F(VolumeStoreTest, ResolveCreatesVolumesAndCopiesUpOnce) {
  VolumeStore store(paths_);
  MountPlanInput in;
  MountRequest named;
  named.kind = MountRequest::Kind::Named;
  named.source = "p_data";
  named.target = "/data";
  MountRequest bind;
  bind.kind = MountRequest::Kind::Bind;
  bind.source = (root_ / "www").string();
  bind.target = "/www";
  in.requests = {named, bind};
  int copies = 0;
  CopyUpFn copy = [&](const std::string& target, const fs::path& dest) {
    ++copies;
    EXPECT_EQ(target, "/data");
    std::ofstream(dest / "from-image") << "img";
  };
  auto plan = plan_mounts(in, random_volume_name);
  auto resolved = resolve_mounts(plan, store, copy);
  ASSERT_EQ(resolved.size(), 2u);
  EXPECT_TRUE(fs::is_directory(root_ / "www"));  // short syntax: created
  auto data = std::find_if(resolved.begin(), resolved.end(), [](auto& r) { return r.target == "/data"; });
  ASSERT_NE(data, resolved.end());
  EXPECT_EQ(data->volume, "p_data");
  EXPECT_TRUE(fs::exists(fs::path(data->source) / "from-image"));
  fs::remove(fs::path(data->source) / "from-image");
  resolve_mounts(plan, store, copy);  // empty again, but initialized: no second copy
  EXPECT_EQ(copies, 1);
  EXPECT_TRUE(store.get("p_data").initialized);
}

TEST_F(VolumeStoreTest, LongSyntaxBindWithoutCreateHostPathFails) {
  VolumeStore store(paths_);
  MountPlanInput in;
  MountRequest bind;
  bind.kind = MountRequest::Kind::Bind;
  bind.source = (root_ / "nope").string();
  bind.target = "/x";
  bind.create_host_path = false;
  in.requests = {bind};
  auto plan = plan_mounts(in, random_volume_name);
  try {
    resolve_mounts(plan, store, {});
    FAIL() << "expected an error";
  } catch (const berth::UserError& e) {
    EXPECT_EQ(std::string(e.what()), "bind source path does not exist: " + (root_ / "nope").string());
  }
  EXPECT_FALSE(fs::exists(root_ / "nope"));
}

TEST_F(VolumeStoreTest, SubpathMustStayInsideTheVolume) {
  VolumeStore store(paths_);
  MountRequest named;
  named.kind = MountRequest::Kind::Named;
  named.source = "sp";
  named.target = "/x";
  named.subpath = "../../etc";
  MountPlanInput in;
  in.requests = {named};
  EXPECT_THROW(resolve_mounts(plan_mounts(in, random_volume_name), store, {}), berth::UserError);
}

TEST_F(VolumeStoreTest, CopyImagePathMergesLayersTopWins) {
  auto l0 = root_ / "l0", l1 = root_ / "l1", dest = root_ / "dest";
  fs::create_directories(l0 / "etc/app/sub");
  fs::create_directories(l1 / "etc/app");
  fs::create_directories(dest);
  std::ofstream(l0 / "etc/app/a") << "old";
  std::ofstream(l0 / "etc/app/sub/b") << "b";
  std::ofstream(l1 / "etc/app/a") << "new";
  fs::create_symlink("a", l1 / "etc/app/link");
  ::chmod((l1 / "etc/app").c_str(), 0750);
  EXPECT_TRUE(copy_image_path({l0, l1}, "/etc/app", dest));
  EXPECT_EQ(berth::read_file(dest / "a"), "new");
  EXPECT_EQ(berth::read_file(dest / "sub/b"), "b");
  EXPECT_EQ(fs::read_symlink(dest / "link"), "a");
  struct stat st{};
  ASSERT_EQ(::stat(dest.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u);
  EXPECT_FALSE(copy_image_path({l0, l1}, "/nothing/here", dest));
  // A file in the top layer hides the lower directory.
  auto l2 = root_ / "l2";
  fs::create_directories(l2 / "etc");
  std::ofstream(l2 / "etc/app") << "file";
  EXPECT_FALSE(copy_image_path({l0, l1, l2}, "/etc/app", root_ / "dest2"));
  EXPECT_TRUE(dir_is_empty(root_ / "does-not-exist"));
}
