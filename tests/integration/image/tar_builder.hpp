#pragma once
// Builds tar archives entry by entry with libarchive: the hostile and special layers the image
// tests feed to the unpacker.
#include <archive.h>
#include <archive_entry.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

namespace berth::test {

class TarBuilder {
 public:
  enum class Compression { None, Gzip, Zstd };
  explicit TarBuilder(Compression c = Compression::None) : a_(archive_write_new(), archive_write_free) {
    archive_write_set_format_pax_restricted(a_.get());
    if (c == Compression::Gzip) archive_write_add_filter_gzip(a_.get());
    if (c == Compression::Zstd) archive_write_add_filter_zstd(a_.get());
    archive_write_open_memory(a_.get(), buf_.data(), buf_.size(), &used_);
  }
  TarBuilder& file(const std::string& name, const std::string& data, unsigned mode = 0644, int uid = 0, int gid = 0,
                   const std::map<std::string, std::string>& xattrs = {}, long mtime = 1600000000) {
    auto e = entry(name, AE_IFREG, mode, uid, gid, mtime);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
    for (auto& [k, v] : xattrs) archive_entry_xattr_add_entry(e.get(), k.c_str(), v.data(), v.size());
    archive_write_header(a_.get(), e.get());
    archive_write_data(a_.get(), data.data(), data.size());
    return *this;
  }
  TarBuilder& dir(const std::string& name, unsigned mode = 0755, int uid = 0, int gid = 0) {
    archive_write_header(a_.get(), entry(name, AE_IFDIR, mode, uid, gid).get());
    return *this;
  }
  TarBuilder& symlink(const std::string& name, const std::string& target) {
    auto e = entry(name, AE_IFLNK, 0777);
    archive_entry_set_symlink(e.get(), target.c_str());
    archive_write_header(a_.get(), e.get());
    return *this;
  }
  TarBuilder& hardlink(const std::string& name, const std::string& target) {
    auto e = entry(name, AE_IFREG, 0644);
    archive_entry_set_hardlink(e.get(), target.c_str());
    archive_entry_set_size(e.get(), 0);
    archive_write_header(a_.get(), e.get());
    return *this;
  }
  TarBuilder& device(const std::string& name, unsigned type, unsigned major, unsigned minor, unsigned mode = 0666) {
    auto e = entry(name, type, mode);
    archive_entry_set_rdevmajor(e.get(), major);
    archive_entry_set_rdevminor(e.get(), minor);
    archive_write_header(a_.get(), e.get());
    return *this;
  }
  std::string finish() {
    archive_write_close(a_.get());
    return std::string(buf_.data(), used_);
  }
  void write_to(const std::filesystem::path& p) { std::ofstream(p, std::ios::binary) << finish(); }

 private:
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(const std::string& name, unsigned type, unsigned mode,
                                                                 int uid = 0, int gid = 0, long mtime = 1600000000) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), type);
    archive_entry_set_perm(e.get(), mode);
    archive_entry_set_uid(e.get(), uid);
    archive_entry_set_gid(e.get(), gid);
    archive_entry_set_mtime(e.get(), mtime, 0);
    return e;
  }
  std::unique_ptr<archive, int (*)(archive*)> a_;
  std::vector<char> buf_ = std::vector<char>(8 << 20);
  size_t used_ = 0;
};

}  // namespace berth::test
