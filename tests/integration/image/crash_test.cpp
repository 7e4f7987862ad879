// A berth killed in the middle of an import leaves no image, layer or ref visible, and the
// next berth works normally on the same state root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "engine/image/image_store.hpp"
#include "tar_builder.hpp"
#include "tests/support/privileged.hpp"
#include "tests/support/test_image.hpp"

namespace fs = std::filesystem;

TEST(Crash, KilledImportLeavesNothingVisible) {
  BERTH_REQUIRE_ROOT();
  fs::path base = fs::temp_directory_path() / ("berth-crash-" + std::to_string(::getpid()));
  fs::remove_all(base);
  fs::create_directories(base);
  berth::test::TarBuilder t;
  for (int i = 0; i < 4; ++i) t.file("f" + std::to_string(i), std::string(1 << 20, char('a' + i)));
  std::string tar = t.finish();

  int in[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  std::string berth = std::string(BERTH_BINARY_DIR) + "/berth";
  std::string root = (base / "root").string();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::execl(berth.c_str(), "berth", "--root", root.c_str(), "image", "import", "-", "crash/img:1", nullptr);
    ::_exit(127);
  }
  ::close(in[0]);
  // Half the archive, then the writer stalls: berth is mid-import when it is killed.
  ASSERT_EQ(::write(in[1], tar.data(), tar.size() / 2), static_cast<ssize_t>(tar.size() / 2));
  ::usleep(300 * 1000);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(in[1]);
  ASSERT_TRUE(WIFSIGNALED(status));

  berth::engine::ImageStore st(berth::StatePaths::resolve(base / "root"));
  EXPECT_TRUE(st.list().empty());
  EXPECT_FALSE(st.find("crash/img:1"));
  EXPECT_TRUE(fs::is_empty(base / "root/images/layers"));
  EXPECT_TRUE(fs::is_empty(base / "root/images/blobs/sha256"));
  // The same import completes afterwards.
  std::string tarfile = (base / "r.tar").string();
  {
    FILE* f = std::fopen(tarfile.c_str(), "wb");
    std::fwrite(tar.data(), 1, tar.size(), f);
    std::fclose(f);
  }
  std::string out;
  EXPECT_EQ(berth::test::run_command(berth + " --root " + root + " image import " + tarfile + " crash/img:1", &out), 0) << out;
  EXPECT_TRUE(st.find("crash/img:1"));
  fs::remove_all(base);
}
