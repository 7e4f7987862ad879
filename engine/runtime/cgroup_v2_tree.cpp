#include "engine/runtime/cgroup_v2_tree.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <sstream>

#include "base/error.hpp"
#include "engine/runtime/cgroup_controllers.hpp"
#include "engine/runtime/cgroup_files.hpp"

namespace berth::engine {
namespace fs = std::filesystem;

void make_cgroup_dir(const fs::path& d) {
  if (::mkdir(d.c_str(), 0755) == 0 || errno == EEXIST) return;
  if (errno == EROFS)
    throw UserError("the cgroup hierarchy " + d.parent_path().string() +
                    " is read-only: berth needs it writable to make containers' cgroups (inside a container: "
                    "give it a writable cgroup mount with its own cgroup namespace)");
  throw_errno("mkdir", d.string());
}

namespace {

// Writes "+a +b" for the controllers of `want` not enabled yet in dir's subtree_control.
bool enable_in(const fs::path& dir, const std::vector<std::string>& want) {
  auto on = parse_controllers(cgroup_read(dir / "cgroup.subtree_control"));
  std::string add;
  for (const auto& c : want)
    if (!has_controller(on, c)) add += (add.empty() ? "+" : " +") + c;
  if (add.empty()) return true;
  try {
    cgroup_write(dir / "cgroup.subtree_control", add);
    return true;
  } catch (const CgroupRefused& e) {
    if (e.err() == EBUSY) return false;
    throw;
  }
}

}  // namespace

int move_processes_to_leaf(const fs::path& dir, const std::string& leaf) {
  make_cgroup_dir(dir / leaf);
  int moved = 0;
  for (int pass = 0; pass < 100; ++pass) {
    std::istringstream in(cgroup_read(dir / "cgroup.procs"));
    int pid, seen = 0;
    while (in >> pid) {
      ++seen;
      try {
        cgroup_write(dir / leaf / "cgroup.procs", std::to_string(pid));
        ++moved;
      } catch (const SysError& e) {
        if (e.code().value() != ESRCH) throw;  // exited meanwhile
      }
    }
    if (seen == 0) return moved;
  }
  throw UserError("cannot empty the cgroup " + dir.string() + ": its processes keep forking");
}

std::vector<std::string> enable_v2_controllers(const fs::path& root, const std::vector<std::string>& wanted) {
  auto offered = parse_controllers(cgroup_read(root / "cgroup.controllers"));
  std::vector<std::string> want;
  for (const auto& c : wanted)
    if (has_controller(offered, c)) want.push_back(c);
  make_cgroup_dir(root / "berth");
  if (!enable_in(root, want)) {
    move_processes_to_leaf(root, "init");
    if (!enable_in(root, want))
      throw UserError("cgroup refused enabling controllers in " + (root / "cgroup.subtree_control").string() +
                      " even with its processes moved to " + (root / "init").string());
  }
  if (!enable_in(root / "berth", want))
    throw UserError((root / "berth").string() + " holds processes: controllers cannot be enabled for its children");
  return parse_controllers(cgroup_read(root / "berth" / "cgroup.controllers"));
}

}  // namespace berth::engine
