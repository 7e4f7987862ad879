#include "engine/runtime/rootfs.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <linux/magic.h>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "engine/image/overlay_mount.hpp"
#include "engine/runtime/safe_path.hpp"

namespace berth::engine {
namespace {

void do_mount(const std::string& src, const std::string& target, const char* type, unsigned long flags,
              const std::string& data, const std::string& what) {
  if (::mount(src.c_str(), target.c_str(), type, flags, data.empty() ? nullptr : data.c_str()) != 0)
    throw_errno(std::string("mount ") + (type ? type : "bind"), what);
}

// A filesystem mounted on a directory inside the rootfs (created when missing).
void mount_fs(int root_fd, const std::string& target, const char* type, unsigned long flags, const std::string& data) {
  UniqueFd fd = open_in_root(root_fd, target, Create::Dir);
  do_mount(type, fd_path(fd.get()), type, flags, data, std::string(type) + " on " + target);
}

unsigned long propagation_flag(const std::string& p) {
  if (p == "shared") return MS_SHARED;
  if (p == "rshared") return MS_SHARED | MS_REC;
  if (p == "slave") return MS_SLAVE;
  if (p == "rslave") return MS_SLAVE | MS_REC;
  if (p == "private") return MS_PRIVATE;
  return MS_PRIVATE | MS_REC;
}

// The per-mount flags a bind remount must repeat or lose (the mount(2) fallbacks below).
unsigned long kept_flags(int fd) {
  struct statvfs sv;
  if (::fstatvfs(fd, &sv) != 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
  return f;
}

// A bind mount with the new mount API: the clone of the source tree gets its attributes before
// it becomes visible, then moves onto the fd-resolved target.
void bind_mount(int root_fd, const InitMount& m) {
  UniqueFd tree(static_cast<int>(::open_tree(AT_FDCWD, m.source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)));
  if (!tree) throw_errno("open_tree", m.source);
  struct stat st;
  if (::fstat(tree.get(), &st) != 0) throw_errno("stat", m.source);
  UniqueFd target = open_in_root(root_fd, m.target, S_ISDIR(st.st_mode) ? Create::Dir : Create::File);
  struct mount_attr attr {};
  for (const auto& f : m.flags) {
    if (f == "nosuid") attr.attr_set |= MOUNT_ATTR_NOSUID;
    if (f == "nodev") attr.attr_set |= MOUNT_ATTR_NODEV;
    if (f == "noexec") attr.attr_set |= MOUNT_ATTR_NOEXEC;
  }
  if (m.read_only) attr.attr_set |= MOUNT_ATTR_RDONLY;
  // mount_setattr() is Linux 5.12: before it (Debian 11's 5.10) the flags come with a bind
  // remount of the mounted tree's top once it is in place (nothing runs in the container yet).
  bool remount = false;
  if (attr.attr_set && ::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
    if (errno != ENOSYS) throw_errno("mount_setattr", m.target);
    remount = true;
  }
  if (::move_mount(tree.get(), "", target.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    throw_errno("move_mount", m.source + " on " + m.target);
  if (remount) {
    UniqueFd mounted = open_in_root(root_fd, m.target);
    unsigned long flags = MS_BIND | MS_REMOUNT | kept_flags(mounted.get());
    if (attr.attr_set & MOUNT_ATTR_NOSUID) flags |= MS_NOSUID;
    if (attr.attr_set & MOUNT_ATTR_NODEV) flags |= MS_NODEV;
    if (attr.attr_set & MOUNT_ATTR_NOEXEC) flags |= MS_NOEXEC;
    if (attr.attr_set & MOUNT_ATTR_RDONLY) flags |= MS_RDONLY;
    do_mount("", fd_path(mounted.get()), nullptr, flags, "", "flags of " + m.target);
  }
  if (!m.propagation.empty()) {
    UniqueFd mounted = open_in_root(root_fd, m.target);
    do_mount("", fd_path(mounted.get()), nullptr, propagation_flag(m.propagation), "", "propagation of " + m.target);
  }
}

void tmpfs_mount(int root_fd, const InitMount& m) {
  unsigned long flags = MS_NOSUID | MS_NODEV;
  if (m.read_only) flags |= MS_RDONLY;
  for (const auto& f : m.flags)
    if (f == "noexec") flags |= MS_NOEXEC;
  mount_fs(root_fd, m.target, "tmpfs", flags, m.data);
}

struct DevNode {
  const char* name;
  unsigned major, minor;
};

void make_dev(int root_fd, const std::string& name, mode_t type, unsigned major, unsigned minor, mode_t mode) {
  UniqueFd dev = open_in_root(root_fd, "/dev");
  std::string leaf = name.substr(5);  // below /dev/
  if (::mknodat(dev.get(), leaf.c_str(), type | mode, makedev(major, minor)) != 0 && errno != EEXIST)
    throw_errno("mknod", name);
  ::fchmodat(dev.get(), leaf.c_str(), mode, 0);  // umask must not narrow it
}

// A node like the host's (type, numbers, mode, owner) at `path` inside the container; an existing
// one is kept.
void copy_device_node(int root_fd, const std::string& path, const struct stat& st) {
  std::filesystem::path p(path);
  open_in_root(root_fd, p.parent_path().string(), Create::Dir);
  UniqueFd parent = open_in_root(root_fd, p.parent_path().string());
  std::string leaf = p.filename().string();
  if (::mknodat(parent.get(), leaf.c_str(), (st.st_mode & S_IFMT) | (st.st_mode & 0777), st.st_rdev) != 0) {
    if (errno == EEXIST) return;
    throw_errno("mknod", path);
  }
  ::fchmodat(parent.get(), leaf.c_str(), st.st_mode & 0777, 0);  // umask must not narrow it
  if (::fchownat(parent.get(), leaf.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("chown", path);
}

// privileged: every device node of the host's /dev, as containerd's HostDevices walks it (the
// container's own pts, shm, mqueue and console are not copied; nodes already made are kept).
void copy_host_devices(int root_fd, const std::string& dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    struct stat st;
    if (::lstat(e.path().c_str(), &st) != 0) continue;  // gone meanwhile
    if (S_ISDIR(st.st_mode)) {
      if (name == "pts" || name == "shm" || name == "fd" || name == "mqueue" || name == ".lxc" || name == ".lxd-mounts" ||
          name == ".udev")
        continue;
      copy_host_devices(root_fd, e.path().string());
    } else if ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) && e.path() != "/dev/console") {
      copy_device_node(root_fd, e.path().string(), st);
    }
  }
}

// A copy of the /dev/shm mount in the mount namespace `mnt_ns` ("/proc/<pid>/ns/mnt"), or of
// this namespace's own (the host's, copied) for "host". A mount of another namespace cannot be
// bound from here: the tree is cloned from inside it (this process is single-threaded, so it may
// enter it and come back) and attached here by the caller.
UniqueFd shm_tree(const std::string& mnt_ns) {
  if (mnt_ns == "host") {
    UniqueFd tree(static_cast<int>(::open_tree(AT_FDCWD, "/dev/shm", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
    if (!tree) throw_errno("open_tree", "/dev/shm");
    return tree;
  }
  UniqueFd own(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
  UniqueFd other(::open(mnt_ns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!own || !other) throw_errno("open", mnt_ns);
  if (::setns(other.get(), CLONE_NEWNS) != 0) throw_errno("setns", mnt_ns);
  UniqueFd tree(static_cast<int>(::open_tree(AT_FDCWD, "/dev/shm", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
  int err = errno;
  if (::setns(own.get(), CLONE_NEWNS) != 0) throw_errno("setns", "back to the container's mount namespace");
  if (!tree) throw_sys(err, "open_tree", "/dev/shm of " + mnt_ns);
  return tree;
}

void populate_dev(int root_fd, const InitSpec& spec, const std::string& console) {
  static const DevNode nodes[] = {{"/dev/null", 1, 3},    {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},
                                  {"/dev/random", 1, 8},  {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0}};
  for (const auto& n : nodes) make_dev(root_fd, n.name, S_IFCHR, n.major, n.minor, 0666);
  for (const auto& d : spec.devices) {
    struct stat st;
    if (::stat(d.host_path.c_str(), &st) != 0) throw_errno("stat", d.host_path);
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) throw UserError("device " + d.host_path + " is not a device node");
    copy_device_node(root_fd, d.container_path, st);
  }
  UniqueFd dev = open_in_root(root_fd, "/dev");
  const std::pair<const char*, const char*> links[] = {{"/proc/self/fd", "fd"},     {"/proc/self/fd/0", "stdin"},
                                                       {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
                                                       {"pts/ptmx", "ptmx"},         {"/proc/kcore", "core"}};
  for (const auto& [to, name] : links)
    if (::symlinkat(to, dev.get(), name) != 0 && errno != EEXIST) throw_errno("symlink", std::string("/dev/") + name);
  if (spec.privileged) copy_host_devices(root_fd, "/dev");  // after the links: /dev/ptmx stays pts/ptmx
  mount_fs(root_fd, "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  if (!spec.shm_source.empty()) {
    UniqueFd shm = open_in_root(root_fd, "/dev/shm", Create::Dir);
    UniqueFd tree = shm_tree(spec.shm_source);
    if (::move_mount(tree.get(), "", shm.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
      throw_errno("move_mount", "/dev/shm of " + spec.shm_source);
  } else {
    mount_fs(root_fd, "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
             "mode=1777,size=" + std::to_string(spec.shm_size > 0 ? spec.shm_size : 64 << 20));
  }
  mount_fs(root_fd, "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
  if (!console.empty()) {
    UniqueFd target = open_in_root(root_fd, "/dev/console", Create::File);
    do_mount(console, fd_path(target.get()), nullptr, MS_BIND, "", "console on /dev/console");
  }
}

// On a cgroup v2 host, the container's own cgroup (the root of the cgroup namespace this process
// unshared after joining it) at /sys/fs/cgroup, read-only unless privileged, as Docker does: the
// JVM, Go and Node size themselves from memory.max and cpu.max there. (The mount namespace is
// still the host's copy here, so /sys/fs/cgroup tells the host's layout.) v1 hosts get none.
void mount_cgroup(int root_fd, bool privileged) {
  struct statfs sf;
  if (::statfs("/sys/fs/cgroup", &sf) != 0 || sf.f_type != CGROUP2_SUPER_MAGIC) return;
  mount_fs(root_fd, "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NOEXEC | MS_NODEV | (privileged ? 0 : MS_RDONLY), "");
}

// crun's do_pivot: pivot_root(".", ".") stacks the old root on the new one; detach it.
void pivot(const std::string& rootfs) {
  UniqueFd oldroot(::open("/", O_DIRECTORY | O_PATH | O_CLOEXEC));
  UniqueFd newroot(::open(rootfs.c_str(), O_DIRECTORY | O_PATH | O_CLOEXEC));
  if (!oldroot || !newroot) throw_errno("open", rootfs);
  if (::fchdir(newroot.get()) != 0) throw_errno("chdir", rootfs);
  if (::syscall(SYS_pivot_root, ".", ".") != 0) throw_errno("pivot_root", rootfs);
  if (::fchdir(oldroot.get()) != 0) throw_errno("fchdir", "old root");
  if (::mount("", ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) throw_errno("mount rslave", "old root");
  if (::umount2(".", MNT_DETACH) != 0) throw_errno("umount", "old root");
  if (::chdir("/") != 0) throw_errno("chdir", "/");
}

}  // namespace

void prepare_rootfs(const InitSpec& spec, const std::string& console) {
  // Nothing we mount may propagate back to the host.
  do_mount("", "/", nullptr, MS_REC | MS_PRIVATE, "", "/ (make rprivate)");
  std::vector<std::filesystem::path> lowers(spec.lower_dirs.begin(), spec.lower_dirs.end());
  mount_overlay(lowers, spec.upper, spec.work, spec.rootfs, 0, spec.volatile_upper);
  UniqueFd root(::open(spec.rootfs.c_str(), O_DIRECTORY | O_PATH | O_CLOEXEC));
  if (!root) throw_errno("open", spec.rootfs);

  mount_fs(root.get(), "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, "");
  mount_fs(root.get(), "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  populate_dev(root.get(), spec, console);
  mount_fs(root.get(), "/sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | (spec.privileged ? 0 : MS_RDONLY), "");
  mount_cgroup(root.get(), spec.privileged);
  for (const auto& m : spec.mounts) {
    if (m.kind == "tmpfs")
      tmpfs_mount(root.get(), m);
    else
      bind_mount(root.get(), m);
  }
  if (!spec.cwd.empty()) open_in_root(root.get(), spec.cwd, Create::Dir);  // Docker creates WorkingDir
  pivot(spec.rootfs);
}

void apply_masked_paths(const InitSpec& spec) {
  for (const auto& p : spec.masked_paths) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) continue;  // absent on this kernel: nothing to hide
    if (S_ISDIR(st.st_mode))
      do_mount("tmpfs", p, "tmpfs", MS_RDONLY, "", "mask " + p);
    else
      do_mount("/dev/null", p, nullptr, MS_BIND, "", "mask " + p);
  }
  for (const auto& p : spec.readonly_paths) {
    if (::access(p.c_str(), F_OK) != 0) continue;
    do_mount(p, p, nullptr, MS_BIND | MS_REC, "", "read-only " + p);
    do_mount("", p, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "", "read-only " + p);
  }
}

void finish_rootfs(const InitSpec& spec) {
  if (!spec.read_only) return;
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof attr) == 0) return;
  if (errno != ENOSYS) throw_errno("mount_setattr ro", "/");
  // Before Linux 5.12: a read-only bind remount, keeping the root's other per-mount flags.
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  do_mount("", "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags(root.get()), "", "read-only /");
}

}  // namespace berth::engine
