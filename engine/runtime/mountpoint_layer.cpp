#include "engine/runtime/mountpoint_layer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <string>

#include "base/error.hpp"
#include "base/sha256.hpp"
#include "base/unique_fd.hpp"

namespace berth::engine {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFiles[] = {"hosts", "hostname", "resolv.conf"};

// The /etc the image shows: its topmost layer's entry decides (a whiteout means none).
// False when that entry is not a directory.
bool image_etc(const std::vector<fs::path>& lower_dirs, struct stat& st, bool& present) {
  present = false;
  for (auto it = lower_dirs.rbegin(); it != lower_dirs.rend(); ++it) {
    if (::lstat((*it / "etc").c_str(), &st) != 0) continue;
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) return true;  // deleted in the image
    present = true;
    return S_ISDIR(st.st_mode);
  }
  return true;
}

}  // namespace

std::optional<fs::path> mountpoint_layer(const StatePaths& paths, const std::vector<fs::path>& lower_dirs) {
  std::string key;
  for (const auto& d : lower_dirs) key += d.string() + '\n';
  fs::path dir = paths.root / "mountpoints" / sha256_hex(key).substr(0, 32);
  if (::access(dir.c_str(), F_OK) == 0) return dir;

  struct stat etc {};
  bool present = false;
  if (!image_etc(lower_dirs, etc, present)) return std::nullopt;
  fs::create_directories(dir.parent_path());
  fs::path tmp = dir;
  tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(::gettid());
  fs::remove_all(tmp);
  // Merged with the image's /etc, this directory's attributes win: they are the image's.
  fs::path tmp_etc = tmp / "etc";
  fs::create_directories(tmp_etc);
  if (::chmod(tmp_etc.c_str(), present ? etc.st_mode & 07777 : 0755) != 0) throw_errno("chmod", tmp_etc.string());
  if (present && ::lchown(tmp_etc.c_str(), etc.st_uid, etc.st_gid) != 0) throw_errno("chown", tmp_etc.string());
  for (const char* f : kFiles) {
    UniqueFd fd(::open((tmp_etc / f).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) throw_errno("create", (tmp_etc / f).string());
  }
  if (::rename(tmp.c_str(), dir.c_str()) != 0) {
    int err = errno;
    fs::remove_all(tmp);
    if (err != EEXIST && err != ENOTEMPTY) throw_sys(err, "rename", tmp.string() + " to " + dir.string());
  }  // else another start made it meanwhile: the same content
  return dir;
}

}  // namespace berth::engine
