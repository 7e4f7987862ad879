// COPY/ADD planning and writing (see copy_files.hpp). Sources are never opened by host path:
// everything goes through the root descriptor (engine::open_in_root resolves inside it).
#include "builder/copy_files.hpp"

#include <archive.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <set>

#include "base/error.hpp"
#include "base/sha256.hpp"
#include "base/unique_fd.hpp"
#include "engine/image/layer_unpack.hpp"
#include "engine/runtime/safe_path.hpp"

namespace berth::builder {
namespace {

bool has_glob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

std::string join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

std::string base_name(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string parent_of(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? std::string() : p.substr(0, slash);
}

// An fd for reading what `path` names inside the root (symlinks resolved inside it).
UniqueFd open_read(int root, const std::string& path, int flags = O_RDONLY) {
  auto p = engine::open_in_root(root, path);
  UniqueFd fd(::open(engine::fd_path(p.get()).c_str(), flags | O_CLOEXEC));
  if (!fd) throw_errno("open", path);
  return fd;
}

std::optional<struct stat> stat_in(int root, const std::string& path) {
  try {
    auto p = engine::open_in_root(root, path);
    struct stat st;
    if (::fstat(p.get(), &st) != 0) throw_errno("fstat", path);
    return st;
  } catch (const SysError& e) {
    if (e.code().value() == ENOENT || e.code().value() == ENOTDIR) return std::nullopt;
    throw;
  }
}

std::vector<std::string> list_dir(int root, const std::string& path) {
  UniqueFd fd = open_read(root, path, O_RDONLY | O_DIRECTORY);
  DIR* d = ::fdopendir(fd.release());
  if (!d) throw_errno("fdopendir", path);
  std::vector<std::string> names;
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string file_digest(int root, const std::string& path) {
  UniqueFd fd = open_read(root, path);
  Sha256 h;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) throw_errno("read", path);
    if (n == 0) break;
    h.update(buf, static_cast<size_t>(n));
  }
  return h.digest();
}

bool is_archive(int root, const std::string& path) {
  UniqueFd fd = open_read(root, path);
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_fd(a.get(), fd.get(), 1 << 16) != ARCHIVE_OK) return false;
  archive_entry* e = nullptr;
  return archive_read_next_header(a.get(), &e) == ARCHIVE_OK;
}

class Planner {
 public:
  Planner(const SourceRoot& root, const CopyRequest& req) : root_(root), req_(req) {}

  // Every path of the root matching `pattern` (components matched one by one, as Go's
  // filepath.Glob does), in sorted order.
  std::vector<std::string> glob(const std::string& pattern) {
    std::vector<std::string> parts;
    std::string cur;
    for (char c : pattern + "/") {
      if (c == '/') {
        if (!cur.empty()) parts.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    std::vector<std::string> found{""};
    for (const auto& part : parts) {
      std::vector<std::string> next;
      for (const auto& dir : found) {
        if (!has_glob(part)) {
          if (stat_in(root_.fd, join(dir, part))) next.push_back(join(dir, part));
          continue;
        }
        auto st = stat_in(root_.fd, dir);
        if (!st || !S_ISDIR(st->st_mode)) continue;
        for (const auto& n : list_dir(root_.fd, dir))
          if (glob_match(part, n)) next.push_back(join(dir, n));
      }
      found = std::move(next);
    }
    return found;
  }

  bool excluded(const std::string& path) const { return root_.ignore && !path.empty() && root_.ignore->excluded(path); }

  void add(const std::string& src, const std::string& dest, const struct stat& st) {
    CopyItem it;
    it.src = src;
    it.dest = dest;
    it.st = st;
    if (S_ISREG(st.st_mode)) it.content = file_digest(root_.fd, src);
    items.push_back(std::move(it));
  }

  // A directory's entries below `src` into `dest`, symlinks as links, excluded paths left out.
  void walk(const std::string& src, const std::string& dest) {
    UniqueFd dir = open_read(root_.fd, src, O_RDONLY | O_DIRECTORY);
    for (const auto& n : list_dir(root_.fd, src)) {
      std::string s = join(src, n), d = join(dest, n);
      struct stat st;
      if (::fstatat(dir.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("stat", s);
      if (S_ISDIR(st.st_mode)) {
        if (root_.ignore && root_.ignore->can_skip_dir(s)) continue;
        // An excluded directory may still hold re-included entries: it is created only for them.
        if (!excluded(s)) add(s, d, st);
        walk(s, d);
        continue;
      }
      if (excluded(s)) continue;
      if (S_ISLNK(st.st_mode)) {
        CopyItem it{s, d, st, {}, {}, false};
        std::string target(PATH_MAX, '\0');
        ssize_t len = ::readlinkat(dir.get(), n.c_str(), target.data(), target.size());
        if (len < 0) throw_errno("readlink", s);
        target.resize(static_cast<size_t>(len));
        it.link_target = target;
        items.push_back(std::move(it));
      } else if (S_ISREG(st.st_mode)) {
        add(s, d, st);
      }
      // Devices, fifos and sockets in a context are not copied (Docker refuses sockets too).
    }
  }

  std::vector<CopyItem> items;

 private:
  const SourceRoot& root_;
  const CopyRequest& req_;
};

}  // namespace

std::vector<CopyItem> plan_copy(const SourceRoot& root, const CopyRequest& req, const ImagePathStat& image) {
  Planner p(root, req);
  std::string dest = clean_path(req.dest);
  if (!dest.empty() && dest[0] == '/') dest.erase(0, 1);
  if (dest == ".") dest.clear();
  bool dest_dir = req.dest.ends_with("/") || dest.empty();
  if (!dest_dir)
    if (auto st = image(dest); st && S_ISDIR(st->st_mode)) dest_dir = true;

  std::vector<std::string> matched;
  for (const auto& s : req.sources) {
    if (s.find("://") != std::string::npos)
      throw UserError("source " + s + " is a URL: COPY takes files only (ADD fetches URLs)");
    std::string rel = clean_path(s);
    while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
    if (rel == "." || rel == "..") rel.clear();
    if (rel.starts_with("../")) throw UserError("source " + s + " is outside the " + root.what);
    std::vector<std::string> hits;
    if (has_glob(rel)) hits = p.glob(rel);
    else if (stat_in(root.fd, rel)) hits.push_back(rel);
    std::erase_if(hits, [&](const std::string& h) { return p.excluded(h) && !(root.ignore && root.ignore->has_exceptions()); });
    if (hits.empty() && !has_glob(rel)) {
      // A link whose target is missing once resolved inside the root (an absolute or ../ target
      // meant for the host): say so rather than just "not found".
      auto parent = parent_of(rel);
      struct stat st;
      try {
        auto pfd = engine::open_in_root(root.fd, parent);
        if (::fstatat(pfd.get(), base_name(rel).c_str(), &st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) == 0 && S_ISLNK(st.st_mode))
          throw UserError("source " + s + " is a symbolic link that leads outside the " + root.what + " or to nothing");
      } catch (const SysError&) {
      }
    }
    if (hits.empty())
      throw UserError("source " + s + " not found in the " + root.what +
                      (root.ignore ? " (or excluded by .dockerignore)" : ""));
    matched.insert(matched.end(), hits.begin(), hits.end());
  }
  if (matched.size() > 1 && !dest_dir)
    throw UserError("when copying more than one source file, the destination must be a directory and end with a /");

  for (const auto& src : matched) {
    auto st = stat_in(root.fd, src);  // follows a symlink source, inside the root
    if (S_ISDIR(st->st_mode)) {
      // Docker's rule: a directory's contents are copied, not the directory itself.
      struct stat d = *st;
      p.items.push_back(CopyItem{src, dest, d, {}, {}, false});
      p.walk(src, dest);
      continue;
    }
    std::string target = dest_dir ? join(dest, base_name(src)) : dest;
    if (req.extract_archives && S_ISREG(st->st_mode) && is_archive(root.fd, src)) {
      p.add(src, dest, *st);
      p.items.back().extract = true;
      continue;
    }
    if (p.excluded(src)) continue;
    p.add(src, target, *st);
  }
  return std::move(p.items);
}

std::string copy_digest(const std::vector<CopyItem>& items, const CopyRequest& req) {
  Sha256 h;
  auto put = [&](const std::string& s) {
    h.update(s);
    h.update("\0", 1);
  };
  put(req.uid ? std::to_string(*req.uid) : "-");
  put(req.gid ? std::to_string(*req.gid) : "-");
  put(req.chmod ? std::to_string(*req.chmod) : "-");
  for (const auto& it : items) {
    put(it.dest);
    put(std::to_string(it.st.st_mode));
    put(std::to_string(it.st.st_uid) + ":" + std::to_string(it.st.st_gid));
    put(it.link_target);
    put(it.content);
    put(it.extract ? "x" : "");
  }
  return h.digest();
}

namespace {

class Writer {
 public:
  Writer(const SourceRoot& root, const CopyRequest& req, const std::filesystem::path& out, const ImagePathStat& image)
      : root_(root), req_(req), image_(image) {
    out_.reset(::open(out.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!out_) throw_errno("open", out.string());
    out_path_ = out;
  }

  uid_t uid(const struct stat& st) const { return req_.uid ? *req_.uid : root_.keep_owner ? st.st_uid : 0; }
  gid_t gid(const struct stat& st) const { return req_.gid ? *req_.gid : req_.uid ? static_cast<gid_t>(*req_.uid) : root_.keep_owner ? st.st_gid : 0; }
  mode_t mode(const struct stat& st) const { return req_.chmod ? *req_.chmod : (st.st_mode & 07777); }

  // The directories above `rel` exist in `out`, with the image's metadata when it has them.
  void parents(const std::string& rel) {
    std::string p = parent_of(rel);
    if (p.empty() || made_.count(p)) return;
    parents(p);
    mkdir_as(p, image_(p));
  }

  void mkdir_as(const std::string& rel, std::optional<struct stat> like) {
    if (made_.count(rel)) return;
    struct stat st;
    if (::fstatat(out_.get(), rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (::mkdirat(out_.get(), rel.c_str(), 0755) != 0) throw_errno("mkdir", rel);
    }
    mode_t m = like && S_ISDIR(like->st_mode) ? (like->st_mode & 07777) : 0755;
    uid_t u = like ? like->st_uid : 0;
    gid_t g = like ? like->st_gid : 0;
    if (::fchownat(out_.get(), rel.c_str(), u, g, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("chown", rel);
    if (::fchmodat(out_.get(), rel.c_str(), m, 0) != 0) throw_errno("chmod", rel);
    made_.insert(rel);
  }

  void write(const CopyItem& it) {
    if (it.dest.empty() && S_ISDIR(it.st.st_mode)) return;  // the image root itself
    parents(it.dest);
    const char* d = it.dest.c_str();
    if (it.extract) {
      auto existing = image_(it.dest);
      mkdir_as(it.dest, existing ? existing : std::nullopt);
      UniqueFd in = open_read(root_.fd, it.src);
      engine::UnpackOptions o;
      o.convert_whiteouts = false;
      o.sync = false;
      engine::unpack_layer(in.get(), out_path_ / it.dest, o);
      return;
    }
    if (S_ISDIR(it.st.st_mode)) {
      struct stat like = it.st;
      like.st_uid = uid(it.st);
      like.st_gid = gid(it.st);
      like.st_mode = S_IFDIR | mode(it.st);
      made_.erase(it.dest);
      mkdir_as(it.dest, like);
      return;
    }
    ::unlinkat(out_.get(), d, 0);  // a later source over an earlier one
    if (S_ISLNK(it.st.st_mode)) {
      if (::symlinkat(it.link_target.c_str(), out_.get(), d) != 0) throw_errno("symlink", it.dest);
      if (::fchownat(out_.get(), d, uid(it.st), gid(it.st), AT_SYMLINK_NOFOLLOW) != 0) throw_errno("chown", it.dest);
      return;
    }
    UniqueFd in = open_read(root_.fd, it.src);
    UniqueFd o(::openat(out_.get(), d, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!o) throw_errno("create", it.dest);
    for (;;) {
      ssize_t n = ::sendfile(o.get(), in.get(), nullptr, 1 << 30);
      if (n < 0) throw_errno("copy", it.src);
      if (n == 0) break;
    }
    if (::fchown(o.get(), uid(it.st), gid(it.st)) != 0) throw_errno("chown", it.dest);
    if (::fchmod(o.get(), mode(it.st)) != 0) throw_errno("chmod", it.dest);
    struct timespec times[2] = {it.st.st_atim, it.st.st_mtim};
    ::futimens(o.get(), times);
  }

 private:
  const SourceRoot& root_;
  const CopyRequest& req_;
  const ImagePathStat& image_;
  UniqueFd out_;
  std::filesystem::path out_path_;
  std::set<std::string> made_;
};

}  // namespace

void write_copy(const SourceRoot& root, const std::vector<CopyItem>& items, const CopyRequest& req,
                const std::filesystem::path& out, const ImagePathStat& image) {
  Writer w(root, req, out, image);
  for (const auto& it : items) w.write(it);
}

}  // namespace berth::builder
