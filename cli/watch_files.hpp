#pragma once
// What `berth watch` does with files: notices changes below paths (inotify, directories made
// later watched too) and makes a container's copy of a host path what the host's is now.
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "base/unique_fd.hpp"

namespace berth::cli {

// The host path `host` made what it is now at `dest` in the container whose root is `root`
// (confined to it): a file copied, a directory made (its entries come as their own changes),
// a path gone removed, a directory with everything in it. `what` names the container in errors.
void sync_path(int root, const std::filesystem::path& host, const std::string& dest, const std::string& what);

class Watcher {
 public:
  Watcher();
  int fd() const { return fd_.get(); }
  // Watches `p` and, when it is a directory, everything below it (a file not there yet: its
  // directory); `found` gets what is there.
  void add(const std::filesystem::path& p, std::set<std::filesystem::path>* found = nullptr);
  // Reads what happened (without blocking); the paths changed go to `changed`.
  void read(std::set<std::filesystem::path>& changed);

 private:
  UniqueFd fd_;
  std::map<int, std::filesystem::path> dirs_;
};

}  // namespace berth::cli
