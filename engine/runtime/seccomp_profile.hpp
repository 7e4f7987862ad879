#pragma once
// Docker's default seccomp profile (moby profiles/seccomp/default.json) built with libseccomp:
// an allow-list with EPERM for everything else, namespace-creating clone flags refused, clone3
// answered ENOSYS (so libcs fall back to clone), socket(AF_VSOCK) refused, and the syscalls that
// need a capability allowed only when that capability is in the container's set.
#include <string>
#include <vector>

namespace berth::engine {

// The profile for a capability set, compiled to a classic BPF program (hex of the kernel's
// sock_filter array). Compiling costs a few milliseconds of libseccomp work, so it is done once
// per capability set in the runtime process and shipped to every init and exec helper.
std::string default_seccomp_program(const std::vector<std::string>& caps);

// Loads such a program into the calling thread (and its future children). Does not set
// no_new_privs itself (the caller decides); without it the caller needs CAP_SYS_ADMIN, so the
// init loads it before dropping capabilities. Throws SysError.
void load_seccomp_program(const std::string& program);

// How many syscalls the default profile allows unconditionally (a sanity figure for tests).
std::size_t default_seccomp_allowlist_size();

}  // namespace berth::engine
