#pragma once
// `container cp` and compose `cp`: files between the host and a container's rootfs, with docker's
// rules for what lands where. Both ends are a root directory descriptor and a path below it,
// resolved with openat2(RESOLVE_IN_ROOT) (safe_path.hpp), so a container's symlinks ("/",
// "../../..") resolve inside its root and cannot make a copy read or write the host. The data
// goes as a tar stream (tree_tar.hpp) into the confined extractor of layers (layer_unpack.hpp).
#include <string>

namespace berth::engine {

struct CopyEnd {
  int root_fd = -1;    // lookups confined below it: a container root (container_fs.hpp) or the host's "/"
  std::string path;    // absolute, as seen under root_fd
  std::string what;    // for errors: "container web-1", "host"
};

struct CopyOptions {
  bool archive = false;      // -a: keep uid/gid (else the receiving side's user owns the copies)
  bool follow_link = false;  // -L: a symlink given as the source is followed (inside its root)
  unsigned uid = 0, gid = 0;  // owner of the copies without archive
};

// Docker's rules: a file to an existing directory lands inside it, else at the path named; a
// directory to a missing path becomes it, to an existing directory goes inside it ("SRC/."
// copies its contents); a directory onto a file is refused. Throws SysError naming the end and
// path, UserError for a refused combination.
void copy_path(const CopyEnd& from, const CopyEnd& to, const CopyOptions& opts);
// `cp C:PATH -`: PATH as a tar stream (named by its last component) to `fd`.
void copy_to_tar(const CopyEnd& from, const CopyOptions& opts, int fd);
// `cp - C:PATH`: a tar stream from `fd` extracted into the directory PATH.
void copy_from_tar(int fd, const CopyEnd& to);

}  // namespace berth::engine
