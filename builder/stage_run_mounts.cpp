// A RUN's --mount list as the step's container mounts (BuildKit's semantics for each type).
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/log.hpp"
#include "builder/run_mounts.hpp"
#include "builder/stage_builder.hpp"
#include "engine/image/overlay_mount.hpp"

namespace berth::builder {
namespace fs = std::filesystem;
namespace {

// `sub` inside `root` after resolving symlinks (a mount source must not leave its root).
fs::path inside(const fs::path& root, const std::string& sub, const std::string& what) {
  auto r = fs::canonical(root);
  std::error_code ec;
  auto p = fs::weakly_canonical(r / fs::path(sub).relative_path(), ec);
  if (ec || !fs::exists(p)) throw UserError("mount source " + sub + " not found in the " + what);
  auto rel = p.lexically_relative(r);
  if (rel.empty() || *rel.begin() == "..") throw UserError("mount source " + sub + " is outside the " + what);
  return p;
}

unsigned long number(const std::string& v, int base, const std::string& what) {
  try {
    size_t used = 0;
    unsigned long n = std::stoul(v, &used, base);
    if (used == v.size()) return n;
  } catch (const std::exception&) {
  }
  throw UserError("invalid " + what + " \"" + v + "\"");
}

}  // namespace

ScratchOverlay::ScratchOverlay(const fs::path& source, const fs::path& scratch_dir) : dir_(scratch_dir, "rw-bind-") {
  if (!fs::is_directory(source)) {  // a single file: a copy of it is as good and needs no mount
    path_ = dir_.path / source.filename();
    fs::copy_file(source, path_);
    return;
  }
  for (const char* d : {"upper", "work", "view"}) fs::create_directory(dir_.path / d);
  path_ = dir_.path / "view";
  // One lower directory: overlayfs needs an upper for that, and the upper is what we discard.
  engine::mount_overlay({source}, dir_.path / "upper", dir_.path / "work", path_, 0, /*volatile_upper=*/true);
  mounted_ = true;
}

ScratchOverlay::~ScratchOverlay() {
  if (mounted_ && ::umount2(path_.c_str(), MNT_DETACH) != 0) log::warn("umount {}: {}", path_.string(), std::strerror(errno));
}

void StageBuilder::run_mounts(const Instruction& in, engine::ContainerSpec& spec, RunMountHold& hold) {
  // The root a --mount=from names: an earlier stage or an image (the context when none).
  auto from_root = [&](const std::string& from) -> fs::path {
    if (from.empty()) return sh_.opts.context;
    // An earlier stage (nullopt: an empty scratch stage) or an image (get() names a missing one).
    std::optional<engine::Image> im;
    if (auto stage = earlier_stage(from)) im = sh_.stage_image(*stage);
    else im = store_.get(from);
    hold.roots.push_back(std::make_unique<MountedRootfs>(im ? store_.layer_dirs(*im) : std::vector<fs::path>{}, sh_.scratch));
    return hold.roots.back()->path();
  };
  int ssh_mounts = 0;
  for (const auto& m : in.mounts) {
    engine::MountSpec ms;
    ms.target = m.target;
    ms.read_only = m.readonly;
    if (m.type == "cache") {
      bool created = false;
      fs::path dir = sh_.cache.mount_dir(m.id, &created);
      // sharing=: shared takes the cache along with other shared users, locked waits for it
      // alone, private takes it alone or, while it is busy, a fresh empty directory.
      UniqueFd lock(::open((dir.string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
      if (!lock) throw_errno("open", dir.string() + ".lock");
      if (m.sharing == "private" && ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
        hold.dirs.push_back(std::make_unique<TempDir>(sh_.scratch, "cache-private-"));
        dir = hold.dirs.back()->path;
        created = true;
      } else {
        int op = m.sharing == "shared" ? LOCK_SH : LOCK_EX;
        while (::flock(lock.get(), op | LOCK_NB) != 0) {
          if (errno != EWOULDBLOCK) throw_errno("flock", dir.string() + ".lock");
          if (sh_.opts.cancel) sh_.opts.cancel->check();
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        hold.locks.push_back(std::move(lock));
      }
      if (created && !m.from.empty()) {  // a new cache starts as a copy of from= (its source= path)
        fs::path src = inside(from_root(m.from), m.source.empty() ? "/" : m.source, "mount source " + m.from);
        fs::copy(src, dir, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
      }
      if (!m.uid.empty() || !m.gid.empty())
        if (::chown(dir.c_str(), m.uid.empty() ? 0 : number(m.uid, 10, "uid"), m.gid.empty() ? 0 : number(m.gid, 10, "gid")) != 0)
          throw_errno("chown", dir.string());
      if (!m.mode.empty() && ::chmod(dir.c_str(), static_cast<mode_t>(number(m.mode, 8, "mode"))) != 0)
        throw_errno("chmod", dir.string());
      ms.source = dir.string();
    } else if (m.type == "tmpfs") {
      ms.type = engine::MountSpec::Type::Tmpfs;
      if (!m.size.empty()) ms.options.push_back("size=" + m.size);
    } else if (m.type == "bind") {
      fs::path src = inside(from_root(m.from), m.source.empty() ? "." : m.source,
                            m.from.empty() ? "build context" : "mount source " + m.from);
      if (m.readonly) {
        ms.source = src.string();
      } else {  // rw: the RUN may write, the writes are discarded
        hold.overlays.push_back(std::make_unique<ScratchOverlay>(src, sh_.scratch));
        ms.source = hold.overlays.back()->path().string();
      }
      ms.create_host_path = false;
    } else if (m.type == "secret") {
      std::string id = m.id.empty() ? fs::path(m.target).filename().string() : m.id;
      auto s = sh_.opts.secrets.find(id);
      if (s == sh_.opts.secrets.end()) {
        if (m.required) fail(in, "secret " + id + " not found (give it with --secret id=" + id + ",src=PATH)");
        continue;
      }
      // env=: the secret's value in that variable of this RUN only (never in the image); a file
      // too when a target is given, only the variable otherwise.
      if (!m.env.empty()) {
        spec.env.push_back(m.env + "=" + read_file(s->second));
        if (m.target.empty()) continue;
      }
      ms.source = s->second.string();
      if (!m.uid.empty() || !m.gid.empty() || !m.mode.empty()) {  // a copy owned and moded as asked
        hold.dirs.push_back(std::make_unique<TempDir>(sh_.scratch, "secret-"));
        fs::path copy = hold.dirs.back()->path / "secret";
        fs::copy_file(s->second, copy);
        if (::chown(copy.c_str(), m.uid.empty() ? 0 : number(m.uid, 10, "uid"), m.gid.empty() ? 0 : number(m.gid, 10, "gid")) != 0)
          throw_errno("chown", copy.string());
        if (::chmod(copy.c_str(), static_cast<mode_t>(m.mode.empty() ? 0400 : number(m.mode, 8, "mode"))) != 0)
          throw_errno("chmod", copy.string());
        ms.source = copy.string();
      }
      if (ms.target.empty()) ms.target = "/run/secrets/" + id;
      ms.read_only = true;
      ms.create_host_path = false;
    } else if (m.type == "ssh") {
      // The client's ssh agent socket (--ssh ID=SOCKET, build.ssh) bound into the RUN, with
      // SSH_AUTH_SOCK naming it, as BuildKit forwards an agent.
      std::string id = m.id.empty() ? "default" : m.id;
      auto s = sh_.opts.ssh.find(id);
      if (s == sh_.opts.ssh.end()) {
        if (m.required) fail(in, "no ssh agent \"" + id + "\" forwarded (give one with --ssh " + id + "[=SOCKET])");
        continue;
      }
      if (!m.uid.empty() || !m.gid.empty() || !m.mode.empty())
        sh_.warn(title(in) + ": uid/gid/mode of an ssh mount are not applied: the agent's own socket is bound in");
      ms.source = s->second.string();
      if (ms.target.empty()) ms.target = "/run/buildkit/ssh_agent." + std::to_string(ssh_mounts);
      if (ssh_mounts++ == 0) spec.env.push_back("SSH_AUTH_SOCK=" + ms.target);
      ms.read_only = false;  // connecting to a socket needs write permission on it
      ms.create_host_path = false;
    } else {
      fail(in, "RUN --mount=type=" + m.type + " is not supported");
    }
    if (!ms.target.starts_with("/")) ms.target = join_workdir(spec.working_dir, ms.target);
    hold.targets.push_back(ms.target);
    spec.mounts.push_back(std::move(ms));
  }
}

}  // namespace berth::builder
