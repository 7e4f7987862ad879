#pragma once
// The part of a cgroup v2 hierarchy above containers: <root>/berth, with the controllers
// containers need enabled on the way down (root and berth/ subtree_control). Inside a container
// the root (a cgroup namespace root) holds processes and the kernel refuses to enable controllers
// there (EBUSY, the "no internal processes" rule): as runc, crun and Docker-in-Docker do, those
// processes move into the leaf <root>/init first. Nothing moves when the kernel does not refuse.
#include <filesystem>
#include <string>
#include <vector>

namespace berth::engine {

// Enables the controllers of `wanted` that <root>/cgroup.controllers offers, down to berth/
// (made when missing). Returns the controllers berth/'s children get. A read-only hierarchy is a
// UserError saying so.
std::vector<std::string> enable_v2_controllers(const std::filesystem::path& root, const std::vector<std::string>& wanted);

// mkdir; an existing directory is fine, a read-only hierarchy is a UserError saying so.
void make_cgroup_dir(const std::filesystem::path& dir);

// Moves every process of cgroup `dir` into its child `leaf` (made when missing), until none is
// left (a process forking meanwhile is caught by the next pass). Returns how many moved.
int move_processes_to_leaf(const std::filesystem::path& dir, const std::string& leaf);

}  // namespace berth::engine
