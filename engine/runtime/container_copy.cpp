#include "engine/runtime/container_copy.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <exception>
#include <thread>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "engine/image/layer_unpack.hpp"
#include "engine/image/tree_tar.hpp"
#include "engine/runtime/safe_path.hpp"

namespace berth::engine {
namespace {

struct Source {
  UniqueFd dir;       // the parent directory, or (leaf "") the source itself
  std::string leaf;   // the source's name in dir, "" when dir is the source
  std::string base;   // the name a copy gets by default
  bool is_dir = false;
  bool contents = false;  // "SRC/.": the directory's contents, not the directory
};

struct Dest {
  UniqueFd dir;      // where entries are created
  std::string name;  // the copy's name in dir; "" to put the source's contents into dir
};

std::string strip_slashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}
std::string dirname_of(const std::string& p) {
  auto s = p.rfind('/');
  return s == std::string::npos || s == 0 ? "/" : p.substr(0, s);
}
std::string basename_of(const std::string& p) {
  auto s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

bool stat_fd(int fd, const std::string& leaf, struct stat& st) {
  return ::fstatat(fd, leaf.c_str(), &st, leaf.empty() ? AT_EMPTY_PATH : AT_SYMLINK_NOFOLLOW) == 0;
}

Source resolve_source(const CopyEnd& end, bool follow) {
  Source s;
  std::string p = end.path;
  s.contents = p == "/." || p.ends_with("/.");
  if (s.contents) p = p.substr(0, p.size() - 2);
  p = strip_slashes(p.empty() ? "/" : p);
  s.base = basename_of(p);
  if (follow || s.contents || p == "/" || s.base == "." || s.base == "..") {
    s.dir = with_context(end.what, [&] { return open_in_root(end.root_fd, p); });
    if (p == "/") s.contents = true;
  } else {
    s.dir = with_context(end.what, [&] { return open_in_root(end.root_fd, dirname_of(p)); });
    s.leaf = s.base;
  }
  struct stat st;
  if (!stat_fd(s.dir.get(), s.leaf, st)) throw_errno("stat", end.what + ": " + end.path);
  s.is_dir = S_ISDIR(st.st_mode);
  if (s.contents && !s.is_dir) throw_sys(ENOTDIR, "stat", end.what + ": " + end.path);
  return s;
}

Dest resolve_dest(const CopyEnd& end, const Source& src) {
  std::string p = strip_slashes(end.path.empty() ? "/" : end.path);
  bool want_dir = end.path.size() > 1 && end.path.back() == '/';
  UniqueFd fd;
  try {
    fd = open_in_root(end.root_fd, p);
  } catch (const SysError& e) {
    if (e.code().value() != ENOENT) throw std::runtime_error(end.what + ": " + describe(e));
  }
  if (fd) {
    struct stat st;
    if (!stat_fd(fd.get(), "", st)) throw_errno("stat", end.what + ": " + p);
    if (S_ISDIR(st.st_mode)) return Dest{std::move(fd), src.contents ? "" : src.base};
    if (src.is_dir) throw UserError(end.what + ": cannot copy a directory onto the file " + p);
  } else if (want_dir && !src.is_dir) {
    throw UserError(end.what + ": destination directory " + end.path + " does not exist");
  }
  // A new (or replaced) entry named by the path's last component, in its parent.
  UniqueFd parent = with_context(end.what, [&] { return open_in_root(end.root_fd, dirname_of(p)); });
  return Dest{std::move(parent), basename_of(p)};
}

TreeTarOptions tar_options(const CopyOptions& o) {
  TreeTarOptions t;
  t.keep_owner = o.archive;
  t.uid = o.uid;
  t.gid = o.gid;
  return t;
}

void write_all(int fd, const void* p, std::size_t n, const std::string& what) {
  const char* b = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = ::write(fd, b, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw_errno("write", what);
    }
    b += w;
    n -= static_cast<std::size_t>(w);
  }
}

UnpackOptions extract_options() {
  UnpackOptions u;
  u.convert_whiteouts = false;  // a copied ".wh.x" is a file like any other
  u.sync = false;
  return u;
}

}  // namespace

void copy_path(const CopyEnd& from, const CopyEnd& to, const CopyOptions& opts) {
  Source src = resolve_source(from, opts.follow_link);
  Dest dest = resolve_dest(to, src);
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe", "copy");
  UniqueFd rd(p[0]), wr(p[1]);
  std::exception_ptr write_error;
  // The writer feeds the pipe from its own thread while this one extracts; SIGPIPE stays
  // blocked there so that an extraction that stops early ends it with EPIPE, not the process.
  std::thread writer([&] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    try {
      TarWriter tar([&](const void* d, std::size_t n) { write_all(wr.get(), d, n, "copy"); });
      tar.add(src.dir.get(), src.leaf, dest.name, tar_options(opts), from.what);
      tar.finish();
    } catch (...) {
      write_error = std::current_exception();
    }
    wr.reset();
  });
  std::exception_ptr read_error;
  try {
    with_context(to.what, [&] { unpack_layer(rd.get(), fd_path(dest.dir.get()), extract_options()); });
  } catch (...) {
    read_error = std::current_exception();
  }
  rd.reset();
  writer.join();
  // The writer's error is the cause when it failed (the reader then saw a short archive).
  if (write_error) std::rethrow_exception(write_error);
  if (read_error) std::rethrow_exception(read_error);
}

void copy_to_tar(const CopyEnd& from, const CopyOptions& opts, int fd) {
  Source src = resolve_source(from, opts.follow_link);
  TarWriter tar([fd](const void* d, std::size_t n) { write_all(fd, d, n, "output"); });
  tar.add(src.dir.get(), src.leaf, src.contents ? "" : src.base, tar_options(opts), from.what);
  tar.finish();
}

void copy_from_tar(int fd, const CopyEnd& to) {
  UniqueFd dir = with_context(to.what, [&] { return open_in_root(to.root_fd, to.path.empty() ? "/" : to.path); });
  struct stat st;
  if (!stat_fd(dir.get(), "", st)) throw_errno("stat", to.what + ": " + to.path);
  if (!S_ISDIR(st.st_mode)) throw_sys(ENOTDIR, "extract", to.what + ": " + to.path);
  with_context(to.what, [&] { unpack_layer(fd, fd_path(dir.get()), extract_options()); });
}

}  // namespace berth::engine
