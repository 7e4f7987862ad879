// Images from containers: `container diff`, `commit` (+ `image history`) and `export`, through
// the real CLI on busybox containers.
#include <sys/xattr.h>

#include <algorithm>
#include <filesystem>

#include "tests/support/runtime_fixture.hpp"
#include "tests/support/test_image.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class ContainerFs : public RuntimeTest {
 protected:
  // Runs `script` in a new container and waits for it to end; returns the container's id.
  std::string run_to_end(const std::string& script) {
    std::string out;
    EXPECT_EQ(berth("container run -d " + image() + " sh -c " + quote(script), &out), 0) << out;
    std::string id = lines_of(out).empty() ? "" : lines_of(out).back();
    EXPECT_TRUE(wait_exited(id)) << id;
    EXPECT_EQ(inspect(id)["State"].value("ExitCode", -1), 0) << "script failed: " << script;
    return id;
  }
  fs::path upper_of(const std::string& id) { return root() / "containers" / inspect(id).value("Id", "") / "upper"; }
  static std::size_t blob_count() {
    std::size_t n = 0;
    for ([[maybe_unused]] auto& e : fs::directory_iterator(root() / "images" / "blobs" / "sha256")) ++n;
    return n;
  }
  void remove_image(const std::string& ref) {
    std::string out;
    berth("image rm -f " + ref, &out);
  }
};

bool has_line(const std::string& text, const std::string& line) {
  auto ls = lines_of(text);
  return std::find(ls.begin(), ls.end(), line) != ls.end();
}

TEST_F(ContainerFs, DiffShowsAddedChangedAndDeletedSorted) {
  std::string id = run_to_end("echo x > /tmp/new && echo more >> /etc/passwd && rm /etc/group && mkdir -p /opt/a/b");
  std::string out;
  ASSERT_EQ(berth("container diff " + id, &out), 0) << out;
  EXPECT_TRUE(has_line(out, "A /tmp/new")) << out;
  EXPECT_TRUE(has_line(out, "C /tmp")) << out;
  EXPECT_TRUE(has_line(out, "C /etc/passwd")) << out;
  EXPECT_TRUE(has_line(out, "D /etc/group")) << "a deleted lower file: " << out;
  EXPECT_TRUE(has_line(out, "A /opt/a/b")) << out;
  EXPECT_FALSE(has_line(out, "C /bin")) << "untouched: " << out;
  auto ls = lines_of(out);
  auto by_path = [](const std::string& a, const std::string& b) { return a.substr(2) < b.substr(2); };
  EXPECT_TRUE(std::is_sorted(ls.begin(), ls.end(), by_path)) << out;

  EXPECT_NE(berth("container diff no-such-container", &out), 0);
  EXPECT_NE(out.find("no-such-container"), std::string::npos) << out;
}

TEST_F(ContainerFs, DiffReportsWhatAnOpaqueDirectoryHid) {
  // rm -rf + mkdir of a lower directory makes it opaque in the upper dir.
  std::string id = run_to_end("rm -rf /home && mkdir /home && echo new > /home/only");
  std::string out;
  ASSERT_EQ(berth("container diff " + id, &out), 0) << out;
  EXPECT_TRUE(has_line(out, "C /home")) << out;
  EXPECT_TRUE(has_line(out, "A /home/only")) << out;
  EXPECT_TRUE(has_line(out, "D /home/app")) << out;
}

TEST_F(ContainerFs, CommittedImageKeepsChangesDeletionsMetadataAndConfig) {
  std::string id = run_to_end(
      "echo committed > /data.txt && chown 1000:1000 /data.txt && chmod 0640 /data.txt && rm /etc/group && "
      "rm -rf /home/app && mkdir /home/app && echo fresh > /home/app/f");
  // An xattr set from the host on the container's upper file must travel with the layer.
  fs::path data = upper_of(id) / "data.txt";
  ASSERT_EQ(::setxattr(data.c_str(), "user.berth", "kept", 4, 0), 0) << data;

  std::string out;
  ASSERT_EQ(berth("container commit -c 'CMD [\"cat\", \"/data.txt\"]' -c 'ENV COMMITTED=yes' -m 'first commit' -a 'Tester <t@x>' " +
                      id + " berth-test/committed:1",
                  &out),
            0)
      << out;
  ASSERT_EQ(lines_of(out).size(), 1u) << out;
  std::string image_id = lines_of(out)[0];
  EXPECT_TRUE(image_id.starts_with("sha256:") && image_id.size() == 71) << out;

  ASSERT_EQ(berth("container run --rm berth-test/committed:1", &out), 0) << out;
  EXPECT_EQ(out, "committed\n") << "-c CMD applied";
  ASSERT_EQ(berth("container run --rm berth-test/committed:1 sh -c " +
                      quote("stat -c '%a %u:%g' /data.txt; test -e /etc/group && echo present || echo gone; "
                            "ls /home/app; echo $COMMITTED"),
                  &out),
            0)
      << out;
  EXPECT_EQ(out, "640 1000:1000\ngone\nf\nyes\n") << "mode, owner, a deleted lower file, an opaque dir, ENV";

  // The new layer as unpacked in the store carries the xattr; overlay's own attributes do not.
  ASSERT_EQ(berth("image inspect berth-test/committed:1", &out), 0) << out;
  auto j = nlohmann::json::parse(out);
  auto dirs = j[0]["GraphDriver"]["LayerDirs"];
  ASSERT_EQ(dirs.size(), 2u) << out;
  fs::path top = dirs[1].get<std::string>();
  char value[16] = {};
  ASSERT_EQ(::getxattr((top / "data.txt").c_str(), "user.berth", value, sizeof value), 4) << top;
  EXPECT_EQ(std::string(value, 4), "kept");
  EXPECT_EQ(j[0]["Config"]["Cmd"], nlohmann::json::parse(R"(["cat","/data.txt"])"));

  // history: the new layer on top with its command and comment, the base's layer below.
  ASSERT_EQ(berth("image history --format json berth-test/committed:1", &out), 0) << out;
  auto rows = lines_of(out);
  ASSERT_EQ(rows.size(), 2u) << out;
  auto r0 = nlohmann::json::parse(rows[0]), r1 = nlohmann::json::parse(rows[1]);
  EXPECT_EQ(r0.value("ID", ""), image_id.substr(7, 12));
  EXPECT_EQ(r0.value("Comment", ""), "first commit");
  EXPECT_NE(r0.value("CreatedBy", "").find("sh -c"), std::string::npos) << out;
  EXPECT_NE(r0.value("Size", ""), "0B") << out;
  EXPECT_EQ(r1.value("ID", ""), "<missing>");
  EXPECT_EQ(r1.value("CreatedBy", ""), "berth image import");
  ASSERT_EQ(berth("image history berth-test/committed:1", &out), 0) << out;
  EXPECT_TRUE(out.starts_with("IMAGE")) << out;
  EXPECT_NE(out.find("CREATED BY"), std::string::npos) << out;
  EXPECT_NE(out.find("<missing>"), std::string::npos) << out;
  EXPECT_NE(out.find(" ago "), std::string::npos) << out;
  ASSERT_EQ(berth("image history -q --no-trunc berth-test/committed:1", &out), 0) << out;
  EXPECT_EQ(lines_of(out), (std::vector<std::string>{image_id, "<missing>"}));
  remove_image("berth-test/committed:1");
}

// As docker commit: the image is configured as the container ran (its environment, working
// directory, user, labels and command), and --change lines apply on top.
TEST_F(ContainerFs, CommitKeepsTheContainersRunSettings) {
  std::string out;
  ASSERT_EQ(berth("container run -d -e RUNVAR=set -e PATH=/bin:/usr/bin -w /tmp -u 1000 --label team=blue " + image() +
                      " sh -c " + quote("echo \"$RUNVAR $(pwd) $(id -u) $PATH\""),
                  &out),
            0)
      << out;
  std::string id = lines_of(out).back();
  ASSERT_TRUE(wait_exited(id));
  ASSERT_EQ(berth("container commit -c 'ENV LATER=1' " + id + " berth-test/runsettings:1", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm berth-test/runsettings:1", &out), 0) << out;
  EXPECT_EQ(out, "set /tmp 1000 /bin:/usr/bin\n") << "the container's command, env, workdir and user";
  ASSERT_EQ(berth("image inspect berth-test/runsettings:1", &out), 0) << out;
  EXPECT_NE(out.find("\"team\": \"blue\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"LATER=1\""), std::string::npos) << out;
  auto j = nlohmann::json::parse(out);
  const auto& env = (j.is_array() ? j[0] : j)["Config"]["Env"];
  EXPECT_EQ(std::count_if(env.begin(), env.end(), [](const auto& e) { return e.template get<std::string>().rfind("PATH=", 0) == 0; }), 1)
      << "one PATH, the container's: " << env.dump();
  berth("container rm " + id);
  remove_image("berth-test/runsettings:1");
}

TEST_F(ContainerFs, FailedCommitLeavesNoBlobOrImage) {
  std::string id = run_to_end("echo x > /x");
  std::size_t before = blob_count();
  std::string out;
  EXPECT_NE(berth("container commit -c 'BOGUS thing' " + id + " berth-test/never:1", &out), 0);
  EXPECT_EQ(lines_of(out).size(), 1u) << "one error line: " << out;
  EXPECT_NE(out.find("BOGUS"), std::string::npos) << out;
  EXPECT_EQ(blob_count(), before) << "the layer blob went again";
  EXPECT_NE(berth("image inspect berth-test/never:1", &out), 0);
  EXPECT_NE(berth("container commit no-such-container", &out), 0);
  EXPECT_NE(out.find("no-such-container"), std::string::npos) << out;
}

TEST_F(ContainerFs, CommitOfARunningContainerPausesAndResumesIt) {
  std::string id = run_detached("", "sh -c 'echo live > /live; sleep 300'");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(poll_until([&] { return exec(id, "cat /live") == "live\n"; }, std::chrono::seconds(10)));
  std::string out;
  ASSERT_EQ(berth("container commit " + id + " berth-test/live:1", &out), 0) << out;
  EXPECT_EQ(status(id), "running") << "unpaused again";
  ASSERT_EQ(berth("container run --rm berth-test/live:1 cat /live", &out), 0) << out;
  EXPECT_EQ(out, "live\n");
  remove_image("berth-test/live:1");
}

TEST_F(ContainerFs, ExportHoldsTheMergedRootfs) {
  std::string id = run_to_end("echo exported > /root/file && rm /etc/group");
  fs::path tar = root().parent_path() / "export.tar";
  std::string out;
  ASSERT_EQ(berth("container export -o " + tar.string() + " " + id, &out), 0) << out;
  ASSERT_EQ(run_command("tar -tvf " + tar.string(), &out), 0) << out;
  EXPECT_NE(out.find(" root/file"), std::string::npos) << out;
  EXPECT_NE(out.find(" bin/busybox"), std::string::npos) << out;
  EXPECT_NE(out.find(" etc/passwd"), std::string::npos) << out;
  EXPECT_EQ(out.find(" etc/group"), std::string::npos) << "deleted in the container: " << out;
  EXPECT_EQ(out.find(".wh."), std::string::npos) << "no whiteouts in a flat export: " << out;
  ASSERT_EQ(run_command("tar -xOf " + tar.string() + " root/file", &out), 0) << out;
  EXPECT_EQ(out, "exported\n");
  // To a pipe without -o.
  ASSERT_EQ(run_command(berth_exe() + " --root " + quote(root().string()) + " container export " + id + " | tar -t | grep -c '^root/file$'", &out), 0) << out;
  EXPECT_EQ(out, "1\n");
  fs::remove(tar);
  // A terminal as stdout is refused (script(1) gives the command one).
  run_command("script -qec " + quote(berth_exe() + " --root " + quote(root().string()) + " container export " + id) + " /dev/null", &out);
  EXPECT_NE(out.find("refusing to write a tar to a terminal"), std::string::npos) << out;
  EXPECT_LT(out.size(), 400u) << "no tar on the terminal: " << out.size() << " bytes";
  EXPECT_NE(berth("container export -o " + tar.string() + " nope", &out), 0);
  EXPECT_FALSE(fs::exists(tar)) << "nothing half-made";
}

}  // namespace
}  // namespace berth::test
