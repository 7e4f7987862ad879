#include "base/error.hpp"

#include <gtest/gtest.h>

#include "base/file_io.hpp"

namespace berth {
namespace {

TEST(Error, SysErrorNamesCallObjectAndErrno) {
  SysError e(ENOENT, "mount", "overlay on /x");
  EXPECT_EQ(std::string(e.what()), "mount overlay on /x: No such file or directory");
  EXPECT_EQ(e.code().value(), ENOENT);
}

TEST(Error, ConfigErrorReadsFileLineColumnPath) {
  ConfigError e({"compose.yaml", 12, 7}, "services.web.ports[0]", "invalid port");
  EXPECT_EQ(std::string(e.what()), "compose.yaml:12:7: services.web.ports[0]: invalid port");
}

TEST(Error, ContextChainsAreJoinedAndExitCodeComesFromInnermost) {
  try {
    with_context("starting web-1", [] { throw_sys(EINVAL, "mount", "overlay"); });
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_EQ(describe(e), "starting web-1: mount overlay: Invalid argument");
    EXPECT_EQ(exit_code_for(e), 125);
  }
  try {
    with_context("loading", [] { throw ConfigError({"f.yml", 1, 2}, "a", "bad"); });
  } catch (const std::exception& e) {
    EXPECT_EQ(exit_code_for(e), 1);
  }
}

TEST(FileIo, AtomicWriteReplacesWholeFile) {
  auto dir = std::filesystem::temp_directory_path() / ("berth-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  write_file_atomic(dir / "f", "one");
  write_file_atomic(dir / "f", "two");
  EXPECT_EQ(read_file(dir / "f"), "two");
  EXPECT_FALSE(try_read_file(dir / "missing").has_value());
  EXPECT_THROW(read_file(dir / "missing"), SysError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace berth
