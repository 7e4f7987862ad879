#include "engine/image/overlay_mount.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "engine/image/image_store.hpp"

namespace berth::engine {

namespace fs = std::filesystem;

namespace {

void config_string(int fd, const char* key, const std::string& value, const std::string& what) {
  if (::fsconfig(fd, FSCONFIG_SET_STRING, key, value.c_str(), 0) != 0) throw_errno(std::string("fsconfig ") + key, what);
}

// BERTH_OVERLAY_MOUNT=mount2 forces the mount(2) path (tests; a kernel that misreports), =fsconfig
// forces the new API; anything else: what the probe found.
bool use_fsconfig() {
  if (const char* e = std::getenv("BERTH_OVERLAY_MOUNT"); e && *e) {
    if (std::strcmp(e, "mount2") == 0) return false;
    if (std::strcmp(e, "fsconfig") == 0) return true;
  }
  return overlay_takes_lowerdir_plus();
}

// A detached overlay mount's descriptor (fsmount), its layers one "lowerdir+" each or, where the
// kernel lacks it, in one "lowerdir" string.
UniqueFd fsmount_overlay(const std::vector<fs::path>& lower, const fs::path& upper, const fs::path& work,
                         const fs::path& target, unsigned long flags, bool lowerdir_plus, bool volatile_upper = false) {
  UniqueFd fsfd(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fsfd) throw_errno("fsopen", "overlay");
  if (lowerdir_plus) {
    for (auto it = lower.rbegin(); it != lower.rend(); ++it)  // top layer first, as lowerdir=
      config_string(fsfd.get(), "lowerdir+", it->string(), it->string());
  } else {
    config_string(fsfd.get(), "lowerdir", overlay_lowerdir(lower, upper.string().size() + work.string().size() + 64),
                  "overlay on " + target.string());
  }
  if (!upper.empty()) {
    config_string(fsfd.get(), "upperdir", upper.string(), upper.string());
    config_string(fsfd.get(), "workdir", work.string(), work.string());
    if (volatile_upper && ::fsconfig(fsfd.get(), FSCONFIG_SET_FLAG, "volatile", nullptr, 0) != 0)
      throw_errno("fsconfig volatile", "overlay on " + target.string());
  }
  if (::fsconfig(fsfd.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) throw_errno("fsconfig create", "overlay on " + target.string());
  unsigned attrs = (flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0;
  if (flags & MS_NODEV) attrs |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOSUID) attrs |= MOUNT_ATTR_NOSUID;
  UniqueFd mnt(::fsmount(fsfd.get(), FSMOUNT_CLOEXEC, attrs));
  if (!mnt) throw_errno("fsmount", "overlay on " + target.string());
  return mnt;
}

void mount_with_fsconfig(const std::vector<fs::path>& lower, const fs::path& upper, const fs::path& work,
                         const fs::path& target, unsigned long flags, bool volatile_upper) {
  UniqueFd mnt = fsmount_overlay(lower, upper, work, target, flags, true, volatile_upper);
  if (::move_mount(mnt.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    throw_errno("move_mount", "overlay on " + target.string());
}

// mount(2) takes every option in one page. First the paths themselves or the store's short links
// (overlay_lowerdir); when even those do not fit, each layer is opened and named by its descriptor,
// "/proc/self/fd/N" (~18 bytes a layer whatever the state root's length: ~190 layers fit; Docker
// stops at 128). The kernel resolves those links at mount time, in the calling process; the
// descriptors are closed once the mount exists (overlayfs holds the layers itself). Unlike the
// chdir-and-relative-paths trick this changes no process-wide state.
void mount_with_mount2(const std::vector<fs::path>& lower, const fs::path& upper, const fs::path& work,
                       const fs::path& target, unsigned long flags, bool volatile_upper) {
  std::string rest;
  if (!upper.empty()) rest = ",upperdir=" + upper.string() + ",workdir=" + work.string() + (volatile_upper ? ",volatile" : "");
  const std::size_t limit = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)) - 1;
  std::string lowerdir;
  try {
    lowerdir = overlay_lowerdir(lower, rest.size() + 16);
  } catch (const UserError&) {
    lowerdir.clear();
  }
  std::vector<UniqueFd> held;
  if (lowerdir.empty()) {
    for (auto it = lower.rbegin(); it != lower.rend(); ++it) {
      UniqueFd fd(::open(it->c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!fd) throw_errno("open layer", it->string());
      if (!lowerdir.empty()) lowerdir += ':';
      lowerdir += "/proc/self/fd/" + std::to_string(fd.get());
      held.push_back(std::move(fd));
    }
  }
  std::string opts = "lowerdir=" + lowerdir + rest;
  if (opts.size() > limit)
    throw UserError("image has too many layers (" + std::to_string(lower.size()) + ") for one overlay mount (" +
                    std::to_string(opts.size()) + " bytes of options, the kernel takes " + std::to_string(limit) +
                    "); a kernel >= 6.8 has no such limit");
  if (::mount("overlay", target.c_str(), "overlay", flags, opts.c_str()) != 0) throw_errno("mount overlay", target.string());
}

}  // namespace

void mount_overlay(const std::vector<fs::path>& lower, const fs::path& upper, const fs::path& work, const fs::path& target,
                   unsigned long flags, bool volatile_upper) {
  if (lower.empty()) throw UserError("overlay mount on " + target.string() + ": no layers");
  if (use_fsconfig())
    mount_with_fsconfig(lower, upper, work, target, flags, volatile_upper);
  else
    mount_with_mount2(lower, upper, work, target, flags, volatile_upper);
}

// Three kinds of kernel:
//  - >= 6.8: overlayfs parses its own parameters; "lowerdir+" is one, an unknown key is refused.
//  - 6.5-6.7: native parsing without "lowerdir+": refused at fsconfig(SET_STRING).
//  - < 6.5: the VFS's legacy context accepts ANY key at SET_STRING (it only appends "key=value"
//    to a one-page buffer) and overlayfs fails at FSCONFIG_CMD_CREATE ("unrecognized mount option
//    lowerdir+"): told apart by a made-up key being accepted too.
bool overlay_takes_lowerdir_plus() {
  static const bool supported = [] {
    UniqueFd fsfd(::fsopen("overlay", FSOPEN_CLOEXEC));
    if (!fsfd) return false;  // no new mount API (or no overlay: mount(2) then says so)
    if (::fsconfig(fsfd.get(), FSCONFIG_SET_STRING, "lowerdir+", "/", 0) != 0) return false;
    return ::fsconfig(fsfd.get(), FSCONFIG_SET_STRING, "berth-probe", "1", 0) != 0;
  }();
  return supported;
}

UniqueFd open_overlay(const std::vector<fs::path>& lower, const fs::path& upper, const fs::path& work,
                      unsigned long flags) {
  if (lower.empty()) throw UserError("overlay mount: no layers");
  return fsmount_overlay(lower, upper, work, "(detached)", flags, use_fsconfig());
}

}  // namespace berth::engine
