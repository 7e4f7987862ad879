#pragma once
// Safe, fast extraction of one layer tarball (tar, tar+gzip, tar+zstd: detected by content) into
// a directory, with OCI whiteouts converted to the overlayfs form. Every entry's parent is
// resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) and the entry
// is created relative to that directory fd, so nothing an archive says (../, absolute names,
// symlinks planted earlier, hardlinks to outside) can create or write anything outside `dest`.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace berth::engine {

struct UnpackOptions {
  bool compute_digest = false;  // hash the uncompressed stream (diff_id) while extracting
  bool convert_whiteouts = true;
  bool sync = true;  // syncfs() once at the end so the layer is durable before it is published
};

struct UnpackResult {
  std::string diff_id;     // "sha256:<hex>" when compute_digest
  std::int64_t size = 0;   // bytes of regular file content
  std::int64_t entries = 0;
};

// `dest` must be an existing (normally empty) directory. Throws UserError naming the entry for a
// hostile or malformed archive, SysError naming the entry for a failed call. The caller removes
// `dest` on failure (the store stages layers in images/tmp for that).
UnpackResult unpack_layer(int archive_fd, const std::filesystem::path& dest, const UnpackOptions& opts = {});

// --- pure helpers (unit-tested) ---

// Normalizes an archive entry name to a relative path without "." / empty components ("./a//b/"
// -> "a/b"; "." or "./" -> ""). nullopt for names that would leave the root: absolute names and
// any ".." component.
std::optional<std::string> normalize_entry_path(std::string_view name);

enum class WhiteoutKind { None, Opaque, File, Meta };
// ".wh..wh..opq" -> Opaque; ".wh.NAME" -> File with *target = NAME; other ".wh..wh.*" -> Meta (aufs
// bookkeeping, skipped); anything else None.
WhiteoutKind classify_whiteout(std::string_view leaf, std::string* target = nullptr);

}  // namespace berth::engine
