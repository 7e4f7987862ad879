// TarWriter: overlay upper dirs become OCI layer entries (whiteouts, opaque dirs), trees are
// archived sorted, symlinks as links, hard links once.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "engine/image/tree_tar.hpp"

namespace berth::engine {
namespace {

namespace fs = std::filesystem;

struct Entry {
  mode_t type;
  std::string link, hardlink;
  std::int64_t size;
};

std::vector<std::pair<std::string, Entry>> read_tar(const std::string& data) {
  std::vector<std::pair<std::string, Entry>> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_memory(a, data.data(), data.size()), ARCHIVE_OK);
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Entry en{archive_entry_filetype(e), archive_entry_symlink(e) ? archive_entry_symlink(e) : "",
             archive_entry_hardlink(e) ? archive_entry_hardlink(e) : "", archive_entry_size(e)};
    out.emplace_back(archive_entry_pathname(e), en);
  }
  archive_read_free(a);
  return out;
}

class TreeTar : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-tree-tar-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string archive_of(const TreeTarOptions& opts) {
    std::string data;
    TarWriter w([&](const void* p, std::size_t n) { data.append(static_cast<const char*>(p), n); });
    int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    w.add(fd, ".", "", opts, "test");
    ::close(fd);
    w.finish();
    return data;
  }
  fs::path dir_;
};

TEST(WhiteoutNames, AreOciForm) {
  EXPECT_EQ(oci_whiteout_name("etc", "passwd"), "etc/.wh.passwd");
  EXPECT_EQ(oci_whiteout_name("", "top"), ".wh.top");
  EXPECT_EQ(oci_opaque_name("a/b"), "a/b/.wh..wh..opq");
}

TEST_F(TreeTar, SortedEntriesSymlinksAndHardlinks) {
  fs::create_directories(dir_ / "b" / "sub");
  std::ofstream(dir_ / "b" / "file") << "hello";
  fs::create_symlink("/etc/passwd", dir_ / "a-link");
  fs::create_hard_link(dir_ / "b" / "file", dir_ / "c-hard");
  auto entries = read_tar(archive_of({}));
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[0].first, "a-link");
  EXPECT_EQ(entries[0].second.link, "/etc/passwd") << "archived as a link, not followed";
  EXPECT_EQ(entries[1].first, "b/");
  EXPECT_EQ(entries[2].first, "b/file");
  EXPECT_EQ(entries[2].second.size, 5);
  EXPECT_EQ(entries[3].first, "b/sub/");
  EXPECT_EQ(entries[4].first, "c-hard");
  EXPECT_EQ(entries[4].second.hardlink, "b/file");
}

TEST_F(TreeTar, OverlayWhiteoutsAndOpaqueDirsBecomeOciEntries) {
  fs::create_directories(dir_ / "etc");
  if (::mknod((dir_ / "etc" / "gone").c_str(), S_IFCHR | 0, ::makedev(0, 0)) != 0) GTEST_SKIP() << "mknod needs root";
  fs::create_directories(dir_ / "opq");
  if (::setxattr((dir_ / "opq").c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0) GTEST_SKIP() << "trusted xattrs need root";
  std::ofstream(dir_ / "opq" / "kept") << "x";
  TreeTarOptions opts;
  opts.overlay_upper = true;
  auto entries = read_tar(archive_of(opts));
  std::vector<std::string> names;
  for (auto& [n, e] : entries) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"etc/", "etc/.wh.gone", "opq/", "opq/.wh..wh..opq", "opq/kept"}));
  EXPECT_EQ(entries[1].second.type, AE_IFREG);
  // Not an upper dir: the device is archived as itself.
  auto plain = read_tar(archive_of({}));
  EXPECT_EQ(plain[1].first, "etc/gone");
  EXPECT_EQ(plain[1].second.type, AE_IFCHR);
}

TEST_F(TreeTar, RedirectedDirectoryIsRefused) {
  fs::create_directories(dir_ / "moved");
  if (::setxattr((dir_ / "moved").c_str(), "trusted.overlay.redirect", "/orig", 5, 0) != 0) GTEST_SKIP() << "needs root";
  TreeTarOptions opts;
  opts.overlay_upper = true;
  EXPECT_THROW(archive_of(opts), std::exception);
}

}  // namespace
}  // namespace berth::engine
