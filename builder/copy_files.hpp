#pragma once
// COPY and ADD: which files a source list names (globs, .dockerignore, Docker's directory-contents
// rule), a digest of what they hold (the build cache's key), and writing them into a fresh
// directory that becomes the step's layer.
//
// Sources are read through a root directory descriptor with openat2(RESOLVE_IN_ROOT): a symlink
// in the build context (or in a stage's rootfs) resolves inside that root, never outside it. A
// symlink named as a source is followed (inside the root), one met inside a copied directory is
// copied as a link, as Docker does.
#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "builder/dockerignore.hpp"

namespace berth::builder {

struct SourceRoot {
  int fd = -1;                           // the root directory (O_PATH is enough)
  const DockerIgnore* ignore = nullptr;  // the build context's; none for a stage or image
  bool keep_owner = false;               // --from: owners kept; the context's files become root's
  std::string what;                      // "build context", "stage build", for messages
};

struct CopyRequest {
  std::vector<std::string> sources;  // as in the instruction, after substitution
  std::string dest;                  // absolute (WORKDIR applied), a trailing "/" kept
  std::optional<uid_t> uid;          // --chown
  std::optional<gid_t> gid;
  std::optional<mode_t> chmod;       // --chmod
  bool extract_archives = false;     // ADD: local tar archives are unpacked at the destination
};

struct CopyItem {
  std::string src;          // relative to the source root
  std::string dest;         // relative to the image root, no leading "/"
  struct stat st {};
  std::string link_target;  // symlinks
  std::string content;      // sha256 of a regular file's bytes
  bool extract = false;     // ADD of an archive: unpack into `dest` (a directory)
};

// Tells whether `path` (relative to the image root) is a directory in the image the step builds
// on (COPY a /app puts a into /app/ when /app is a directory there), and its metadata.
using ImagePathStat = std::function<std::optional<struct stat>(const std::string& path)>;

// Throws UserError "source not found: X" / "...escapes the build context" for the caller to name
// the Dockerfile line.
std::vector<CopyItem> plan_copy(const SourceRoot& root, const CopyRequest& req, const ImagePathStat& image);

// The digest of everything the step writes: paths, types, modes, owners, contents.
std::string copy_digest(const std::vector<CopyItem>& items, const CopyRequest& req);

// Writes the items under `out` (an empty directory). Directories on the way that the image
// already has get their metadata from it (so COPY into /tmp keeps /tmp 1777), others 0755 root.
void write_copy(const SourceRoot& root, const std::vector<CopyItem>& items, const CopyRequest& req,
                const std::filesystem::path& out, const ImagePathStat& image);

}  // namespace berth::builder
