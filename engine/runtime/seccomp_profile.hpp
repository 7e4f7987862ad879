#pragma once
// Docker's default seccomp profile (moby profiles/seccomp/default.json) built with libseccomp:
// an allow-list with EPERM for everything else, namespace-creating clone flags refused, clone3
// answered ENOSYS (so libcs fall back to clone), socket(AF_VSOCK) refused, and the syscalls that
// need a capability allowed only when that capability is in the container's set.
#include <string>
#include <vector>

namespace berth::engine {

// Loads the filter into the calling thread (and its future children). Does not set
// no_new_privs itself (the caller decides); without it the caller needs CAP_SYS_ADMIN, so the
// init loads it before dropping capabilities. Throws SysError.
void load_default_seccomp(const std::vector<std::string>& caps);

// How many syscalls the default profile allows unconditionally (a sanity figure for tests).
std::size_t default_seccomp_allowlist_size();

}  // namespace berth::engine
