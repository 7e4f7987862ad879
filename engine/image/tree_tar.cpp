#include "engine/image/tree_tar.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace berth::engine {
namespace {

using EntryPtr = std::unique_ptr<archive_entry, void (*)(archive_entry*)>;

template <class Sink>
la_ssize_t write_cb(archive*, void* self, const void* buf, size_t len) {
  auto* s = static_cast<Sink*>(self);
  try {
    s->fn(buf, len);
    return static_cast<la_ssize_t>(len);
  } catch (...) {
    s->error = std::current_exception();
    return -1;
  }
}

// A directory's names, sorted: the same tree always gives the same archive.
std::vector<std::string> sorted_names(int dirfd, const std::string& what) {
  UniqueFd dup(::fcntl(dirfd, F_DUPFD_CLOEXEC, 0));
  if (!dup) throw_errno("dup", what);
  DIR* d = ::fdopendir(dup.get());
  if (!d) throw_errno("opendir", what);
  dup.release();
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    std::string_view n(e->d_name);
    if (n != "." && n != "..") names.emplace_back(n);
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) throw_sys(err, "readdir", what);
  std::sort(names.begin(), names.end());
  return names;
}

// `leaf` of `dirfd` without following a final symlink; "" is `dirfd` itself (an O_PATH descriptor
// reopened through its /proc/self/fd link, which names that very file whatever its path now is).
UniqueFd open_at(int dirfd, const std::string& leaf, int flags) {
  if (leaf.empty()) return UniqueFd(::open(("/proc/self/fd/" + std::to_string(dirfd)).c_str(), flags | O_CLOEXEC));
  return UniqueFd(::openat(dirfd, leaf.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
}

bool has_xattr(int fd, const char* name) { return ::fgetxattr(fd, name, nullptr, 0) >= 0; }

// Extended attributes of an open file, without overlayfs's own (trusted.overlay.*: they describe
// this layer's place in one particular mount and mean nothing, or harm, anywhere else).
void copy_xattrs(int fd, archive_entry* e, const std::string& path) {
  ssize_t len = ::flistxattr(fd, nullptr, 0);
  if (len < 0) {
    if (errno == ENOTSUP) return;
    throw_errno("listxattr", path);
  }
  std::string names(static_cast<size_t>(len), '\0');
  len = ::flistxattr(fd, names.data(), names.size());
  if (len < 0) throw_errno("listxattr", path);
  names.resize(static_cast<size_t>(len));
  for (size_t i = 0; i < names.size();) {
    std::string name = names.c_str() + i;
    i += name.size() + 1;
    if (name.empty() || name.starts_with("trusted.overlay.")) continue;
    ssize_t vlen = ::fgetxattr(fd, name.c_str(), nullptr, 0);
    if (vlen < 0) continue;  // removed meanwhile
    std::string value(static_cast<size_t>(vlen), '\0');
    vlen = ::fgetxattr(fd, name.c_str(), value.data(), value.size());
    if (vlen < 0) continue;
    archive_entry_xattr_add_entry(e, name.c_str(), value.data(), static_cast<size_t>(vlen));
  }
}

}  // namespace

std::string oci_whiteout_name(std::string_view parent, std::string_view leaf) {
  std::string out(parent);
  if (!out.empty()) out += '/';
  return out + ".wh." + std::string(leaf);
}

std::string oci_opaque_name(std::string_view dir) {
  std::string out(dir);
  if (!out.empty()) out += '/';
  return out + ".wh..wh..opq";
}

TarWriter::TarWriter(TarSink sink) : sink_{std::move(sink), nullptr}, a_(archive_write_new(), [](archive* a) { archive_write_free(a); }) {
  if (!a_) throw UserError("tar: out of memory");
  archive_write_set_format_pax_restricted(a_.get());
  archive_write_set_bytes_per_block(a_.get(), 10240);
  archive_write_set_bytes_in_last_block(a_.get(), 1);  // no padding past the two end blocks
  if (archive_write_open2(a_.get(), &sink_, nullptr, write_cb<SinkState>, nullptr, nullptr) != ARCHIVE_OK)
    throw UserError(std::string("tar: ") + archive_error_string(a_.get()));
}

TarWriter::~TarWriter() = default;

void TarWriter::fail(const std::string& path) {
  if (sink_.error) std::rethrow_exception(sink_.error);
  const char* msg = archive_error_string(a_.get());
  throw UserError("tar: " + path + ": " + (msg ? msg : "write failed"));
}

void TarWriter::finish() {
  if (archive_write_close(a_.get()) != ARCHIVE_OK) fail("end of archive");
}

void TarWriter::add(int dirfd, const std::string& leaf, const std::string& name, const TreeTarOptions& opts,
                    const std::string& what) {
  if (!name.empty()) return add_entry(dirfd, leaf, name, opts, what);
  UniqueFd d = open_at(dirfd, leaf, O_RDONLY | O_DIRECTORY);
  if (!d) throw_errno("open", what);
  add_children(d.get(), "", opts, what);
}

void TarWriter::add_children(int dir, const std::string& prefix, const TreeTarOptions& opts, const std::string& what) {
  for (const auto& n : sorted_names(dir, what + (prefix.empty() ? "" : "/" + prefix)))
    add_entry(dir, n, prefix.empty() ? n : prefix + "/" + n, opts, what);
}

void TarWriter::add_entry(int dirfd, const std::string& leaf, const std::string& name, const TreeTarOptions& opts,
                          const std::string& what) {
  std::string path = what + ": /" + name;
  struct stat st;
  if (::fstatat(dirfd, leaf.c_str(), &st, leaf.empty() ? AT_EMPTY_PATH : AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;  // removed meanwhile (a running container)
    throw_errno("stat", path);
  }
  auto parent_of = [&] { auto s = name.rfind('/'); return s == std::string::npos ? std::string() : name.substr(0, s); };
  EntryPtr e(archive_entry_new(), archive_entry_free);
  archive_entry_copy_stat(e.get(), &st);
  archive_entry_set_atime(e.get(), st.st_mtim.tv_sec, 0);  // access times say nothing about content
  archive_entry_unset_ctime(e.get());
  archive_entry_unset_birthtime(e.get());
  archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, 0);
  archive_entry_set_nlink(e.get(), 1);
  archive_entry_set_ino64(e.get(), 0);
  archive_entry_set_dev(e.get(), 0);
  if (!opts.keep_owner) {
    archive_entry_set_uid(e.get(), opts.uid);
    archive_entry_set_gid(e.get(), opts.gid);
  }
  auto header = [&] {
    if (archive_write_header(a_.get(), e.get()) < ARCHIVE_WARN) fail(path);
  };

  if (opts.overlay_upper && S_ISCHR(st.st_mode) && st.st_rdev == ::makedev(0, 0)) {
    // A whiteout: overlay shares one inode among them (hard links), so this comes first.
    archive_entry_set_pathname(e.get(), oci_whiteout_name(parent_of(), leaf).c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0);
    archive_entry_set_size(e.get(), 0);
    archive_entry_set_rdev(e.get(), 0);
    return header();
  }
  archive_entry_set_pathname(e.get(), S_ISDIR(st.st_mode) ? (name + "/").c_str() : name.c_str());

  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
    auto key = std::make_pair(static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino));
    if (auto it = links_.find(key); it != links_.end()) {
      archive_entry_set_hardlink(e.get(), it->second.c_str());
      archive_entry_set_size(e.get(), 0);
      return header();
    }
    links_.emplace(key, name);
  }

  if (S_ISLNK(st.st_mode)) {
    std::string target(PATH_MAX, '\0');
    ssize_t n = ::readlinkat(dirfd, leaf.c_str(), target.data(), target.size());
    if (n < 0) throw_errno("readlink", path);
    target.resize(static_cast<size_t>(n));
    archive_entry_set_symlink(e.get(), target.c_str());
    archive_entry_set_size(e.get(), 0);
    return header();
  }
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
    archive_entry_set_size(e.get(), 0);
    return header();
  }
  if (S_ISSOCK(st.st_mode)) return;  // a socket is no file content: docker leaves them out too

  if (S_ISDIR(st.st_mode)) {
    UniqueFd d = open_at(dirfd, leaf, O_RDONLY | O_DIRECTORY);
    if (!d) throw_errno("open", path);
    bool opaque = false;
    if (opts.overlay_upper) {
      // A renamed directory (redirect_dir) or a metadata-only copy-up (metacopy) names content in
      // a lower layer that this layer alone would not carry: refuse rather than lose it.
      if (has_xattr(d.get(), "trusted.overlay.redirect"))
        throw UserError(path + ": a renamed directory (overlay redirect_dir) cannot be committed; mount overlay with redirect_dir=off");
      char v = 0;
      opaque = ::fgetxattr(d.get(), "trusted.overlay.opaque", &v, 1) == 1 && v == 'y';
    }
    archive_entry_set_size(e.get(), 0);
    copy_xattrs(d.get(), e.get(), path);
    header();
    if (opaque) {
      EntryPtr o(archive_entry_new(), archive_entry_free);
      archive_entry_set_pathname(o.get(), oci_opaque_name(name).c_str());
      archive_entry_set_filetype(o.get(), AE_IFREG);
      archive_entry_set_perm(o.get(), 0);
      archive_entry_set_size(o.get(), 0);
      archive_entry_set_mtime(o.get(), st.st_mtim.tv_sec, 0);
      if (archive_write_header(a_.get(), o.get()) < ARCHIVE_WARN) fail(path);
    }
    return add_children(d.get(), name, opts, what);
  }

  // A regular file.
  UniqueFd f = open_at(dirfd, leaf, O_RDONLY | O_NOCTTY);
  if (!f) throw_errno("open", path);
  if (opts.overlay_upper && has_xattr(f.get(), "trusted.overlay.metacopy"))
    throw UserError(path + ": a metadata-only copy-up (overlay metacopy) cannot be committed; mount overlay with metacopy=off");
  copy_xattrs(f.get(), e.get(), path);
  header();
  std::vector<char> buf(1 << 20);
  std::int64_t left = st.st_size;
  while (left > 0) {
    ssize_t n = ::read(f.get(), buf.data(), static_cast<size_t>(std::min<std::int64_t>(left, static_cast<std::int64_t>(buf.size()))));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", path);
    }
    if (n == 0) break;  // shrank meanwhile: libarchive pads the entry to its header's size
    if (archive_write_data(a_.get(), buf.data(), static_cast<size_t>(n)) < 0) fail(path);
    left -= n;
  }
}

}  // namespace berth::engine
