#pragma once
// Writing a directory tree as a tar stream (libarchive, pax): what a committed layer, an exported
// rootfs and `container cp` out of a container all are. The tree is read through directory
// descriptors only (openat with O_NOFOLLOW, entries sorted by name), so a symlink inside it is
// archived as a link and never followed, and the same tree gives the same bytes.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

struct archive;

namespace berth::engine {

using TarSink = std::function<void(const void* data, std::size_t len)>;

struct TreeTarOptions {
  // The tree is an overlayfs upper directory: whiteouts (0/0 character devices) become OCI
  // ".wh.NAME" entries, opaque directories (trusted.overlay.opaque=y) get ".wh..wh..opq", and a
  // redirected or metacopy entry (which names content in another layer) is refused.
  bool overlay_upper = false;
  // Owners as on disk (true), or uid/gid below for every entry (`cp` without -a, as docker does).
  bool keep_owner = true;
  unsigned uid = 0, gid = 0;
};

// One tar stream; entries are added with add_tree, the end written by finish().
class TarWriter {
 public:
  explicit TarWriter(TarSink sink);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  // Adds the entry `leaf` of directory `dirfd` (and, for a directory, everything below it) named
  // `name` in the archive ("" for the top of a tree: its contents come at the archive's top, the
  // directory itself as no entry). `leaf` "" means `dirfd` itself (an O_PATH descriptor of
  // the file or directory to add, e.g. one resolved in a container's root). `what` names the tree in errors. Throws SysError / UserError.
  void add(int dirfd, const std::string& leaf, const std::string& name, const TreeTarOptions& opts,
           const std::string& what);
  void finish();

 private:
  void add_entry(int dirfd, const std::string& leaf, const std::string& name, const TreeTarOptions& opts,
                 const std::string& what);
  void add_children(int dir, const std::string& prefix, const TreeTarOptions& opts, const std::string& what);

  [[noreturn]] void fail(const std::string& path);

  struct SinkState {
    TarSink fn;
    std::exception_ptr error;  // what the sink threw, rethrown instead of libarchive's message
  } sink_;
  std::unique_ptr<::archive, void (*)(::archive*)> a_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> links_;  // (dev, ino) -> first name
};

// --- pure helpers (unit-tested) ---

// The OCI whiteout name for an overlay whiteout of `leaf` in directory entry name `parent` ("" at
// the top): ("etc", "passwd") -> "etc/.wh.passwd".
std::string oci_whiteout_name(std::string_view parent, std::string_view leaf);
// The OCI marker entry of an opaque directory named `dir`: "etc" -> "etc/.wh..wh..opq".
std::string oci_opaque_name(std::string_view dir);

}  // namespace berth::engine
