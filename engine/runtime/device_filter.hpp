#pragma once
// The cgroup v2 form of the device policy: a BPF_PROG_TYPE_CGROUP_DEVICE program made from the
// rules (as runc's devicefilter and crun's ebpf_support do), loaded and attached with the raw
// bpf() system call. The kernel runs it on every open and mknod of a device node by a process in
// the cgroup (or below it); it returns 1 (allow) or 0 (deny -> EPERM).
//
// Program shape: load type, access, major, minor from the bpf_cgroup_dev_ctx; then one block per
// rule, LAST rule first (the last matching rule decides, as devices.allow/deny written in order
// do), each jumping to the next block on a mismatch and returning the rule's verdict on a match;
// deny when no rule matched. A rule matching every device ("a *:* rwm") ends the program.
#include <linux/bpf.h>

#include <cstdint>
#include <filesystem>
#include <vector>

#include "engine/runtime/device_rules.hpp"

namespace berth::engine {

std::vector<bpf_insn> device_filter_program(const std::vector<DeviceRule>& rules);

// Loads the program for `rules` and attaches it (BPF_F_ALLOW_MULTI) to the v2 cgroup directory
// `cgroup_dir`. Device programs attached there before (a restart) are detached only after the new
// one is attached, so the cgroup is never without a policy. The cgroup keeps the program for its
// own lifetime; no descriptor stays open. Throws SysError naming the syscall and the cgroup (with
// the verifier's log when the load is refused).
void attach_device_filter(const std::filesystem::path& cgroup_dir, const std::vector<DeviceRule>& rules);

// Ids of the device programs attached to `cgroup_dir` (for tests and diagnostics).
std::vector<std::uint32_t> attached_device_programs(const std::filesystem::path& cgroup_dir);

}  // namespace berth::engine
