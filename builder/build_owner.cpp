#include "builder/build_owner.hpp"

#include <sys/mount.h>
#include <unistd.h>

#include "base/file_io.hpp"
#include "base/log.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::builder {
namespace {

// Field 22 of /proc/PID/stat (after the parenthesised command, which may hold spaces).
std::string start_time(const std::string& pid) {
  auto stat = try_read_file("/proc/" + pid + "/stat");
  if (!stat) return {};
  auto close = stat->rfind(')');
  if (close == std::string::npos) return {};
  std::size_t pos = close + 2;
  for (int field = 3; field < 22; ++field) {
    pos = stat->find(' ', pos);
    if (pos == std::string::npos) return {};
    ++pos;
  }
  return stat->substr(pos, stat->find(' ', pos) - pos);
}

}  // namespace

const std::string& owner_tag() {
  static const std::string tag = [] {
    std::string pid = std::to_string(::getpid());
    return pid + "." + start_time(pid);
  }();
  return tag;
}

bool owner_alive(const std::string& tag) {
  auto dot = tag.find('.');
  if (dot == std::string::npos) return true;  // not ours to judge
  std::string pid = tag.substr(0, dot);
  return start_time(pid) == tag.substr(dot + 1);
}

void sweep_orphans(const StatePaths& paths, const std::filesystem::path& scratch) {
  engine::Runtime rt(paths);
  for (const auto& c : rt.find_by_labels({{"berth.build.owner", ""}})) {
    if (owner_alive(c.labels.at("berth.build.owner"))) continue;
    try {
      rt.remove(c.id, true);
      log::info("removed build container {} left by a build that ended abruptly", c.name);
    } catch (const std::exception& e) {
      log::warn("removing build container {}: {}", c.name, e.what());
    }
  }
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(scratch, ec)) {
    // "<kind>-<owner>-<random>"
    std::string name = e.path().filename().string();
    auto a = name.find('-'), b = name.rfind('-');
    if (a == std::string::npos || b <= a || owner_alive(name.substr(a + 1, b - a - 1))) continue;
    ::umount2(e.path().c_str(), MNT_DETACH);  // a stage's rootfs; EINVAL for a plain directory
    std::error_code rm;
    std::filesystem::remove_all(e.path(), rm);
  }
}

}  // namespace berth::builder
