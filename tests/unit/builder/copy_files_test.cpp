// COPY planning: globs, Docker's directory-contents rule, destinations, .dockerignore, symlinks
// confined to the source root, and the digest that keys the cache.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/error.hpp"
#include "builder/copy_files.hpp"

using namespace berth::builder;
namespace fs = std::filesystem;

namespace {

class CopyPlan : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-copyplan-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    put("a.txt", "a");
    put("b.txt", "b");
    put("src/one", "1");
    put("src/sub/two", "2");
    fs::create_symlink("one", dir_ / "src" / "link");
    fs::create_symlink("/etc/hostname", dir_ / "abs");
    fd_ = ::open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  }
  void TearDown() override {
    ::close(fd_);
    fs::remove_all(dir_);
  }
  void put(const std::string& rel, const std::string& content) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << content;
  }
  std::vector<std::string> dests(const std::vector<std::string>& sources, const std::string& dest,
                                 const DockerIgnore* ignore = nullptr, bool app_is_dir = false) {
    CopyRequest req;
    req.sources = sources;
    req.dest = dest;
    ImagePathStat image = [&](const std::string& p) -> std::optional<struct stat> {
      if (app_is_dir && p == "app") {
        struct stat st {};
        st.st_mode = S_IFDIR | 0755;
        return st;
      }
      return std::nullopt;
    };
    std::vector<std::string> out;
    for (const auto& it : plan_copy(SourceRoot{fd_, ignore, false, "build context"}, req, image)) out.push_back(it.dest);
    return out;
  }
  std::string digest(const std::vector<std::string>& sources) {
    CopyRequest req;
    req.sources = sources;
    req.dest = "/d/";
    return copy_digest(plan_copy(SourceRoot{fd_, nullptr, false, "ctx"}, req, [](const std::string&) { return std::nullopt; }), req);
  }
  fs::path dir_;
  int fd_ = -1;
};

}  // namespace

TEST_F(CopyPlan, FilesGlobsAndDestinations) {
  EXPECT_EQ(dests({"a.txt"}, "/x"), std::vector<std::string>{"x"});
  EXPECT_EQ(dests({"a.txt"}, "/x/"), std::vector<std::string>{"x/a.txt"});
  EXPECT_EQ(dests({"a.txt"}, "/app", nullptr, true), std::vector<std::string>{"app/a.txt"});  // an existing dir
  EXPECT_EQ(dests({"*.txt"}, "/d/"), (std::vector<std::string>{"d/a.txt", "d/b.txt"}));
  EXPECT_THROW(dests({"*.txt"}, "/d"), berth::UserError);  // several sources need a directory
}

TEST_F(CopyPlan, DirectoryContentsNotTheDirectory) {
  EXPECT_EQ(dests({"src"}, "/d"), (std::vector<std::string>{"d", "d/link", "d/one", "d/sub", "d/sub/two"}));
}

TEST_F(CopyPlan, DockerignoreExcludes) {
  auto ig = DockerIgnore::parse("src/sub\nb.txt\n");
  EXPECT_EQ(dests({"src"}, "/d", &ig), (std::vector<std::string>{"d", "d/link", "d/one"}));
  EXPECT_THROW(dests({"b.txt"}, "/d", &ig), berth::UserError);
  EXPECT_EQ(dests({"*.txt"}, "/d/", &ig), std::vector<std::string>{"d/a.txt"});
}

TEST_F(CopyPlan, SymlinksStayInsideTheRoot) {
  // "/etc/hostname" resolves inside the context, where there is no such file.
  EXPECT_THROW(dests({"abs"}, "/x"), berth::UserError);
  EXPECT_THROW(dests({"../a.txt"}, "/x"), berth::UserError);
  EXPECT_THROW(dests({"http://example.com/f"}, "/x"), berth::UserError);
}

TEST_F(CopyPlan, DigestFollowsContentAndMode) {
  auto d1 = digest({"src"});
  EXPECT_EQ(d1, digest({"src"}));
  put("src/sub/two", "changed");
  auto d2 = digest({"src"});
  EXPECT_NE(d1, d2);
  fs::permissions(dir_ / "src" / "one", fs::perms::owner_exec, fs::perm_options::add);
  EXPECT_NE(d2, digest({"src"}));
}
