// `container cp` both ways, running and stopped containers, tar streams, and symlinks in the
// container that point at "/" or "../../.." which must not let a copy reach the host.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/support/runtime_fixture.hpp"
#include "tests/support/test_image.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class ContainerCopy : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    char tmpl[] = "/tmp/berth-cp-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    host_ = tmpl;
  }
  void TearDown() override {
    fs::remove_all(host_);
    RuntimeTest::TearDown();
  }
  static void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
  std::string berth_cmd() { return berth_exe() + " --root " + quote(root().string()); }
  fs::path host_;
};

TEST_F(ContainerCopy, IntoAndOutOfARunningContainer) {
  std::string id = run_detached("", "sleep 300");
  ASSERT_FALSE(id.empty());
  write(host_ / "hello.txt", "hello\n");
  ASSERT_EQ(::chown((host_ / "hello.txt").c_str(), 1234, 1234), 0);
  fs::create_directories(host_ / "d" / "sub");
  write(host_ / "d" / "sub" / "f", "deep\n");
  std::string out;

  ASSERT_EQ(berth("container cp " + (host_ / "hello.txt").string() + " " + id + ":/tmp/", &out), 0) << out;
  EXPECT_EQ(exec(id, "cat /tmp/hello.txt"), "hello\n");
  EXPECT_EQ(exec(id, "stat -c %u:%g /tmp/hello.txt"), "0:0\n") << "owned by the container's root without -a";
  ASSERT_EQ(berth("container cp -a " + (host_ / "hello.txt").string() + " " + id + ":/tmp/kept.txt", &out), 0) << out;
  EXPECT_EQ(exec(id, "stat -c %u:%g /tmp/kept.txt"), "1234:1234\n") << "-a keeps uid/gid";
  ASSERT_EQ(berth("container cp " + (host_ / "d").string() + " " + id + ":/tmp/newd", &out), 0) << out;
  EXPECT_EQ(exec(id, "cat /tmp/newd/sub/f"), "deep\n") << "a directory to a missing path becomes it";
  ASSERT_EQ(berth("container cp " + (host_ / "d").string() + " " + id + ":/tmp/newd", &out), 0) << out;
  EXPECT_EQ(exec(id, "cat /tmp/newd/d/sub/f"), "deep\n") << "to an existing directory: inside it";

  fs::create_directories(host_ / "out");
  ASSERT_EQ(berth("container cp " + id + ":/etc/passwd " + (host_ / "out").string(), &out), 0) << out;
  EXPECT_NE(read_text(host_ / "out" / "passwd").find("app:x:1000"), std::string::npos);
  ASSERT_EQ(berth("container cp " + id + ":/etc " + (host_ / "etccopy").string(), &out), 0) << out;
  EXPECT_TRUE(fs::exists(host_ / "etccopy" / "group"));
  ASSERT_EQ(berth("container cp " + id + ":/bin/sh " + (host_ / "sh-link").string(), &out), 0) << out;
  EXPECT_TRUE(fs::is_symlink(host_ / "sh-link")) << "a symlink source is copied as a link";
  ASSERT_EQ(berth("container cp -L " + id + ":/bin/sh " + (host_ / "sh-file").string(), &out), 0) << out;
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(host_ / "sh-file"))) << "-L follows it";

  // Tar streams: "-" as DEST and as SRC.
  ASSERT_EQ(run_command(berth_cmd() + " container cp " + id + ":/etc/passwd - | tar -t", &out), 0) << out;
  EXPECT_EQ(out, "passwd\n");
  ASSERT_EQ(run_command("tar -c -C " + host_.string() + " hello.txt | " + berth_cmd() + " container cp - " + id + ":/root", &out), 0)
      << out;
  EXPECT_EQ(exec(id, "cat /root/hello.txt"), "hello\n");

  EXPECT_NE(berth("container cp " + id + ":/no/such/file " + (host_ / "x").string(), &out), 0);
  EXPECT_EQ(lines_of(out).size(), 1u) << out;
  EXPECT_NE(out.find("/no/such"), std::string::npos) << out;
  EXPECT_NE(out.find("container"), std::string::npos) << out;
}

TEST_F(ContainerCopy, SymlinksInTheContainerCannotReachTheHost) {
  std::string id = run_detached("", "sh -c 'ln -s / /escape && ln -s ../../../../../.. /tmp/up && sleep 300'");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(poll_until([&] { return exec(id, "readlink /tmp/up") != "\n" && exec(id, "test -L /tmp/up && echo y") == "y\n"; },
                         std::chrono::seconds(10)));
  // A host file the container does not have.
  fs::path secret = host_ / "secret";
  write(secret, "host secret\n");
  std::string out;
  for (std::string via : {"/escape", "/tmp/up"}) {
    EXPECT_NE(berth("container cp " + id + ":" + via + secret.string() + " " + (host_ / "stolen").string(), &out), 0)
        << via << ": " << out;
    EXPECT_FALSE(fs::exists(host_ / "stolen")) << "read the host through " << via;
    // Writing through the link lands in the container's own tree.
    ASSERT_EQ(berth("container cp " + secret.string() + " " + id + ":" + via + host_.string() + "/", &out), 1) << out
        << "the container has no " << host_ << ": refused, not written on the host";
    ASSERT_EQ(berth("container cp " + secret.string() + " " + id + ":" + via + "/tmp/planted-by-cp", &out), 0) << via << ": " << out;
    EXPECT_EQ(exec(id, "cat /tmp/planted-by-cp"), "host secret\n") << via;
    EXPECT_FALSE(fs::exists("/tmp/planted-by-cp")) << "wrote the host's /tmp through " << via;
    exec(id, "rm /tmp/planted-by-cp");
  }
  EXPECT_EQ(read_text(secret), "host secret\n");
}

TEST_F(ContainerCopy, StoppedContainerReadsAndWritesItsLayers) {
  std::string out;
  ASSERT_EQ(berth("container run -d " + image() + " sh -c " + quote("echo stopped > /root/made"), &out), 0) << out;
  std::string id = lines_of(out).back();
  ASSERT_TRUE(wait_exited(id));
  ASSERT_EQ(berth("container cp " + id + ":/root/made " + (host_ / "made").string(), &out), 0) << out;
  EXPECT_EQ(read_text(host_ / "made"), "stopped\n");
  ASSERT_EQ(berth("container cp " + id + ":/etc/passwd " + (host_ / "passwd").string(), &out), 0) << "a lower file: " << out;
  write(host_ / "in.txt", "into stopped\n");
  ASSERT_EQ(berth("container cp " + (host_ / "in.txt").string() + " " + id + ":/etc/in.txt", &out), 0) << out;
  fs::path upper = root() / "containers" / inspect(id).value("Id", "") / "upper";
  EXPECT_EQ(read_text(upper / "etc" / "in.txt"), "into stopped\n") << "written into the upper dir";
  run_command("grep ' - overlay ' /proc/self/mountinfo | grep -c " + quote(root().string()), &out);
  EXPECT_EQ(out, "0\n") << "the detached overlay is gone";
}

}  // namespace
}  // namespace berth::test
