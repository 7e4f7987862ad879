#include "engine/image/layer_unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/sha256.hpp"
#include "base/unique_fd.hpp"

namespace berth::engine {
namespace {

constexpr size_t kReadBlock = 1 << 20;

struct ArchiveFree {
  void operator()(archive* a) const noexcept { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

[[noreturn]] void hostile(std::string_view entry, const std::string& why) {
  throw UserError("layer entry \"" + std::string(entry) + "\": " + why);
}

[[noreturn]] void archive_fail(archive* a, std::string_view what) {
  const char* msg = archive_error_string(a);
  throw UserError("layer archive: " + std::string(what) + ": " + (msg ? msg : "unknown error"));
}

long openat2_call(int dirfd, const char* path, int flags, unsigned long long resolve) {
  open_how how{};
  how.flags = static_cast<unsigned long long>(flags);
  how.resolve = resolve;
  // EAGAIN: a concurrent rename/mount elsewhere raced the scoped lookup; the kernel asks to retry.
  for (int tries = 0;; ++tries) {
    long fd = ::syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN || tries >= 16) return fd;
  }
}

constexpr unsigned long long kResolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;

// Splits "a/b/c" into ("a/b", "c").
std::pair<std::string, std::string> split_parent(const std::string& rel) {
  auto slash = rel.rfind('/');
  if (slash == std::string::npos) return {"", rel};
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

bool is_root() { return ::geteuid() == 0; }

// Chown failures are fatal as root; without root (unit tests) ownership cannot be kept.
void check_chown(int rc, std::string_view entry) {
  if (rc != 0 && is_root()) throw_errno("chown", entry);
}

class Extractor {
 public:
  Extractor(const std::filesystem::path& dest, const UnpackOptions& opts) : opts_(opts), dest_(dest) {
    root_.reset(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_) throw_errno("open", dest.string());
    buf_.resize(kReadBlock);
  }

  void entry(archive* a, archive_entry* e, UnpackResult& res) {
    const char* raw = archive_entry_pathname(e);
    std::string name = raw ? raw : "";
    auto rel = normalize_entry_path(name);
    if (!rel) hostile(name, name.starts_with("/") ? "absolute path" : "path leaves the layer (..)");
    ++res.entries;
    if (rel->empty()) {  // the root itself: keep its mode and owner
      if (archive_entry_filetype(e) == AE_IFDIR) apply_meta(root_.get(), e, name, true);
      return;
    }
    auto [parent, leaf] = split_parent(*rel);
    std::string wh_target;
    auto wk = opts_.convert_whiteouts ? classify_whiteout(leaf, &wh_target) : WhiteoutKind::None;
    if (wk == WhiteoutKind::Meta) return;
    int pfd = parent_fd(parent, name);
    if (wk == WhiteoutKind::Opaque) {
      if (::fsetxattr(pfd, "trusted.overlay.opaque", "y", 1, 0) != 0) throw_errno("setxattr trusted.overlay.opaque", name);
      return;
    }
    if (wk == WhiteoutKind::File) {
      if (wh_target.empty() || wh_target == "." || wh_target == "..") hostile(name, "invalid whiteout");
      remove_existing(pfd, parent, wh_target, false);
      if (::mknodat(pfd, wh_target.c_str(), S_IFCHR | 0, ::makedev(0, 0)) != 0) throw_errno("mknod whiteout", name);
      return;
    }

    if (const char* hl = archive_entry_hardlink(e)) {
      auto target = normalize_entry_path(hl);
      if (!target || target->empty()) hostile(name, std::string("hardlink target \"") + hl + "\" leaves the layer");
      auto [tparent, tleaf] = split_parent(*target);
      UniqueFd tp = open_dir(tparent, name, false);
      remove_existing(pfd, parent, leaf, false);
      // flags 0: a symlink target is linked itself, never followed.
      if (::linkat(tp.get(), tleaf.c_str(), pfd, leaf.c_str(), 0) != 0) throw_errno("link", name + " to " + hl);
      return;
    }

    mode_t type = archive_entry_filetype(e);
    mode_t perm = archive_entry_perm(e) & 07777;
    switch (type) {
      case AE_IFDIR: {
        struct stat st;
        if (::fstatat(pfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
          remove_existing(pfd, parent, leaf, false);
        if (::mkdirat(pfd, leaf.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir", name);
        UniqueFd d(static_cast<int>(openat2_call(pfd, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW, kResolve)));
        if (!d) throw_errno("open", name);
        apply_meta(d.get(), e, name, false);
        if (archive_entry_mtime_is_set(e)) dir_times_.push_back({*rel, times_of(e)});
        break;
      }
      case AE_IFREG: {
        remove_existing(pfd, parent, leaf, false);
        UniqueFd f(::openat(pfd, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!f) throw_errno("create", name);
        write_data(a, f.get(), e, name);
        res.size += archive_entry_size(e);
        apply_meta(f.get(), e, name, true);
        break;
      }
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(e);
        if (!target) hostile(name, "symlink without target");
        remove_existing(pfd, parent, leaf, false);
        if (::symlinkat(target, pfd, leaf.c_str()) != 0) throw_errno("symlink", name);
        check_chown(::fchownat(pfd, leaf.c_str(), static_cast<uid_t>(archive_entry_uid(e)),
                               static_cast<gid_t>(archive_entry_gid(e)), AT_SYMLINK_NOFOLLOW), name);
        auto ts = times_of(e);
        ::utimensat(pfd, leaf.c_str(), ts.data(), AT_SYMLINK_NOFOLLOW);
        break;
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO: {
        remove_existing(pfd, parent, leaf, false);
        dev_t dev = type == AE_IFIFO ? 0 : ::makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
        if (::mknodat(pfd, leaf.c_str(), type | perm, dev) != 0) throw_errno("mknod", name);
        UniqueFd n(static_cast<int>(openat2_call(pfd, leaf.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC, kResolve)));
        if (!n) throw_errno("open", name);
        check_chown(::fchownat(pfd, leaf.c_str(), static_cast<uid_t>(archive_entry_uid(e)),
                               static_cast<gid_t>(archive_entry_gid(e)), AT_SYMLINK_NOFOLLOW), name);
        ::fchmodat(pfd, leaf.c_str(), perm, 0);
        auto ts = times_of(e);
        ::utimensat(pfd, leaf.c_str(), ts.data(), AT_SYMLINK_NOFOLLOW);
        break;
      }
      default:  // sockets and unknown types have no place in a layer
        break;
    }
  }

  // Directory times last: creating children changed them.
  void finish() {
    cached_parent_.clear();
    cached_fd_.reset();
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      UniqueFd d(static_cast<int>(openat2_call(root_.get(), it->first.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, kResolve)));
      if (d) ::futimens(d.get(), it->second.data());
    }
    if (opts_.sync && ::syncfs(root_.get()) != 0) throw_errno("syncfs", "layer");
  }

 private:
  static std::array<timespec, 2> times_of(archive_entry* e) {
    std::array<timespec, 2> ts{};
    ts[1].tv_sec = archive_entry_mtime(e);
    ts[1].tv_nsec = archive_entry_mtime_nsec(e);
    if (archive_entry_atime_is_set(e)) {
      ts[0].tv_sec = archive_entry_atime(e);
      ts[0].tv_nsec = archive_entry_atime_nsec(e);
    } else {
      ts[0] = ts[1];
    }
    return ts;
  }

  // Owner before mode: chown clears set-id bits.
  void apply_meta(int fd, archive_entry* e, const std::string& name, bool times) {
    check_chown(::fchown(fd, static_cast<uid_t>(archive_entry_uid(e)), static_cast<gid_t>(archive_entry_gid(e))), name);
    if (::fchmod(fd, archive_entry_perm(e) & 07777) != 0) throw_errno("chmod", name);
    archive_entry_xattr_reset(e);
    const char* xname;
    const void* xval;
    size_t xsize;
    while (archive_entry_xattr_next(e, &xname, &xval, &xsize) == ARCHIVE_OK) {
      std::string_view xn(xname);
      // overlay's own attributes (redirect, metacopy, ...) from an archive could make the
      // merged view reach other layers' files: never take them from a layer.
      if (xn.starts_with("trusted.overlay.")) continue;
      if (::fsetxattr(fd, xname, xval, xsize, 0) != 0 && errno != ENOTSUP && errno != EPERM)
        throw_errno(std::string("setxattr ") + xname, name);
    }
    if (times && archive_entry_mtime_is_set(e)) {
      auto ts = times_of(e);
      ::futimens(fd, ts.data());
    }
  }

  void write_data(archive* a, int fd, archive_entry* e, const std::string& name) {
    const void* block;
    size_t size;
    la_int64_t offset;
    off_t pos = 0;
    for (;;) {
      int r = archive_read_data_block(a, &block, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) archive_fail(a, "reading " + name);
      if (offset != pos) {  // sparse hole
        if (::lseek(fd, offset, SEEK_SET) < 0) throw_errno("lseek", name);
        pos = offset;
      }
      const char* p = static_cast<const char*>(block);
      while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0) {
          if (errno == EINTR) continue;
          throw_errno("write", name);
        }
        p += n;
        size -= static_cast<size_t>(n);
        pos += n;
      }
    }
    if (archive_entry_size_is_set(e) && pos < archive_entry_size(e) && ::ftruncate(fd, archive_entry_size(e)) != 0)
      throw_errno("truncate", name);
    // The layer is synced at the end: start the bigger files' writeback now, so that the disk
    // works while the rest is unpacked instead of all at the final syncfs.
    if (opts_.sync && pos >= (256 << 10)) start_writeback(fd, 0, pos);
  }

  // Opens (creating missing components as 0755 root dirs) a directory below the root. Symlinks
  // anywhere on the way are refused: RESOLVE_NO_SYMLINKS turns them into ELOOP.
  UniqueFd open_dir(const std::string& rel, const std::string& entry, bool create) {
    if (rel.empty()) return root_.dup();
    long fd = openat2_call(root_.get(), rel.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, kResolve);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno == ELOOP) hostile(entry, "path goes through a symlink (\"" + rel + "\")");
    if (errno == ENOTDIR) hostile(entry, "parent \"" + rel + "\" is not a directory");
    if (errno == EXDEV) hostile(entry, "path leaves the layer");
    if (errno != ENOENT || !create) throw_errno("open", entry + " (parent " + rel + ")");
    auto [pp, leaf] = split_parent(rel);
    UniqueFd parent = open_dir(pp, entry, true);
    if (::mkdirat(parent.get(), leaf.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("mkdir", rel);
    fd = openat2_call(parent.get(), leaf.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW, kResolve);
    if (fd < 0) {
      if (errno == ELOOP || errno == ENOTDIR) hostile(entry, "path goes through a symlink (\"" + rel + "\")");
      throw_errno("open", rel);
    }
    return UniqueFd(static_cast<int>(fd));
  }

  // Entries usually come grouped by directory: keep the last parent open.
  int parent_fd(const std::string& parent, const std::string& entry) {
    if (!cached_fd_ || cached_parent_ != parent) {
      cached_fd_ = open_dir(parent, entry, true);
      cached_parent_ = parent;
    }
    return cached_fd_.get();
  }

  void remove_existing(int pfd, const std::string& parent, const std::string& leaf, bool) {
    struct stat st;
    if (::fstatat(pfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
    if (S_ISDIR(st.st_mode)) {
      // Replacing a directory: the parent was resolved without symlinks, so dest/parent/leaf is
      // the same directory; remove_all never follows links. Forget a cached fd inside it.
      std::string rel = parent.empty() ? leaf : parent + "/" + leaf;
      std::filesystem::remove_all(dest_ / rel);
      if (cached_parent_ == rel || cached_parent_.starts_with(rel + "/")) {
        cached_fd_.reset();
        cached_parent_.clear();
      }
    } else if (::unlinkat(pfd, leaf.c_str(), 0) != 0) {
      throw_errno("unlink", leaf);
    }
  }

  UnpackOptions opts_;
  std::filesystem::path dest_;
  UniqueFd root_;
  std::string cached_parent_;
  UniqueFd cached_fd_;
  std::vector<std::pair<std::string, std::array<timespec, 2>>> dir_times_;
  std::vector<char> buf_;
};

// Decompresses the layer blob (any filter, "raw" format) and feeds the tar reader, hashing the
// uncompressed bytes on the way: one pass gives both the files and the diff_id.
struct HashingSource {
  archive* outer = nullptr;
  Sha256 hash;
  std::int64_t total = 0;
  bool eof = false;

  static la_ssize_t read(archive*, void* self, const void** buf) {
    auto* s = static_cast<HashingSource*>(self);
    if (s->eof) return 0;
    la_int64_t off;
    size_t size;
    int r = archive_read_data_block(s->outer, buf, &size, &off);
    if (r == ARCHIVE_EOF) {
      s->eof = true;
      return 0;
    }
    if (r < ARCHIVE_WARN) return -1;
    s->hash.update(*buf, size);
    s->total += static_cast<std::int64_t>(size);
    return static_cast<la_ssize_t>(size);
  }
  void drain() {
    const void* buf;
    while (!eof && read(nullptr, this, &buf) > 0) {
    }
  }
};

}  // namespace

std::optional<std::string> normalize_entry_path(std::string_view name) {
  if (name.starts_with("/")) return std::nullopt;
  std::string out;
  size_t i = 0;
  while (i <= name.size()) {
    size_t j = name.find('/', i);
    if (j == std::string_view::npos) j = name.size();
    std::string_view comp = name.substr(i, j - i);
    if (comp == "..") return std::nullopt;
    if (!comp.empty() && comp != ".") {
      if (!out.empty()) out += '/';
      out.append(comp);
    }
    i = j + 1;
  }
  return out;
}

WhiteoutKind classify_whiteout(std::string_view leaf, std::string* target) {
  if (leaf == ".wh..wh..opq") return WhiteoutKind::Opaque;
  if (leaf.starts_with(".wh..wh.")) return WhiteoutKind::Meta;
  if (leaf.starts_with(".wh.")) {
    if (target) *target = std::string(leaf.substr(4));
    return WhiteoutKind::File;
  }
  return WhiteoutKind::None;
}

UnpackResult unpack_layer(int archive_fd, const std::filesystem::path& dest, const UnpackOptions& opts) {
  UnpackResult res;
  Extractor ex(dest, opts);
  ArchivePtr outer;
  HashingSource src;
  ArchivePtr a(archive_read_new());
  archive_read_support_format_tar(a.get());
  if (opts.compute_digest) {
    outer.reset(archive_read_new());
    archive_read_support_filter_all(outer.get());
    archive_read_support_format_raw(outer.get());
    if (archive_read_open_fd(outer.get(), archive_fd, kReadBlock) != ARCHIVE_OK) archive_fail(outer.get(), "open");
    archive_entry* raw;
    if (archive_read_next_header(outer.get(), &raw) != ARCHIVE_OK) archive_fail(outer.get(), "open");
    src.outer = outer.get();
    if (archive_read_open(a.get(), &src, nullptr, &HashingSource::read, nullptr) != ARCHIVE_OK)
      archive_fail(a.get(), "open");
  } else {
    archive_read_support_filter_all(a.get());
    if (archive_read_open_fd(a.get(), archive_fd, kReadBlock) != ARCHIVE_OK) archive_fail(a.get(), "open");
  }
  archive_entry* e;
  for (;;) {
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) archive_fail(a.get(), "reading header");
    ex.entry(a.get(), e, res);
  }
  ex.finish();
  if (opts.compute_digest) {
    src.drain();
    res.diff_id = src.hash.digest();
  }
  return res;
}

}  // namespace berth::engine
