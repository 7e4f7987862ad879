#pragma once
// berth's own cgroup for the processes that outlive the command that started them (berth-monitor,
// berth-dns): "berth/supervisors" at the top of the cgroup v2 hierarchy, or on a v1/hybrid host
// of the hierarchies systemd tracks processes by (name=systemd and the hybrid unified mount).
// Out of the caller's cgroup, a systemd login session or unit that stops does not take them (nor
// the containers they start) along. Like Docker's cgroupfs driver's top-level /docker, systemd
// leaves a top-level cgroup it did not make alone. Containers' own cgroups are its siblings,
// berth/<id>.
#include <string>
#include <vector>

namespace berth {

// Where it is (one per hierarchy), not made: for `berth info`.
std::vector<std::string> daemon_cgroup_dirs();

// Makes the cgroup where missing and returns its cgroup.procs files (none where it cannot be
// made: a read-only or non-delegated hierarchy; the processes then stay where they are).
std::vector<std::string> daemon_cgroup_procs();

// Writes "0" into each file: the calling process joins. Best effort and async-signal-safe (open,
// write, close), for a forked child of a threaded program.
void join_daemon_cgroup(const std::vector<std::string>& procs) noexcept;

}  // namespace berth
