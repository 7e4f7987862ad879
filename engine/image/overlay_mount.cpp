#include "engine/image/overlay_mount.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "engine/image/image_store.hpp"

namespace berth::engine {

namespace fs = std::filesystem;

namespace {

void config_string(int fd, const char* key, const std::string& value, const std::string& what) {
  if (::fsconfig(fd, FSCONFIG_SET_STRING, key, value.c_str(), 0) != 0) throw_errno(std::string("fsconfig ") + key, what);
}

// Returns false when the kernel lacks "lowerdir+" (EINVAL on the first layer): caller falls back.
bool mount_with_fsconfig(const std::vector<fs::path>& lower, const fs::path& upper, const fs::path& work,
                         const fs::path& target, unsigned long flags) {
  UniqueFd fsfd(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fsfd) {
    if (errno == ENOSYS) return false;
    throw_errno("fsopen", "overlay");
  }
  bool first = true;
  for (auto it = lower.rbegin(); it != lower.rend(); ++it) {  // top layer first, as lowerdir=
    if (::fsconfig(fsfd.get(), FSCONFIG_SET_STRING, "lowerdir+", it->c_str(), 0) != 0) {
      if (first && errno == EINVAL) return false;
      throw_errno("fsconfig lowerdir+", it->string());
    }
    first = false;
  }
  if (!upper.empty()) {
    config_string(fsfd.get(), "upperdir", upper.string(), upper.string());
    config_string(fsfd.get(), "workdir", work.string(), work.string());
  }
  if (::fsconfig(fsfd.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) throw_errno("fsconfig create", "overlay on " + target.string());
  unsigned attrs = (flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0;
  if (flags & MS_NODEV) attrs |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOSUID) attrs |= MOUNT_ATTR_NOSUID;
  UniqueFd mnt(::fsmount(fsfd.get(), FSMOUNT_CLOEXEC, attrs));
  if (!mnt) throw_errno("fsmount", "overlay on " + target.string());
  if (::move_mount(mnt.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    throw_errno("move_mount", "overlay on " + target.string());
  return true;
}

}  // namespace

void mount_overlay(const std::vector<fs::path>& lower, const fs::path& upper, const fs::path& work, const fs::path& target,
                   unsigned long flags) {
  if (lower.empty()) throw UserError("overlay mount on " + target.string() + ": no layers");
  if (mount_with_fsconfig(lower, upper, work, target, flags)) return;
  std::string opts = "lowerdir=" + overlay_lowerdir(lower);
  if (!upper.empty()) opts += ",upperdir=" + upper.string() + ",workdir=" + work.string();
  if (::mount("overlay", target.c_str(), "overlay", flags, opts.c_str()) != 0) throw_errno("mount overlay", target.string());
}

}  // namespace berth::engine
