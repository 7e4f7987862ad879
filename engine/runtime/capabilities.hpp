#pragma once
// Capability sets as Docker computes them: the default set, cap_add / cap_drop ("ALL" allowed,
// with or without the CAP_ prefix), privileged = everything the kernel knows. Applying a set uses
// libcap: bounding set reduced, then permitted/effective (inheritable and ambient empty).
#include <string>
#include <vector>

namespace berth::engine {

const std::vector<std::string>& default_capabilities();  // Docker's 14, "CAP_..." names
std::vector<std::string> all_capabilities();              // every capability of our bounding set

// "net_admin" / "NET_ADMIN" / "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; throws UserError if unknown.
std::string normalize_capability(const std::string& name);
// Docker's merge: start from default (or all when privileged), drop, then add; sorted.
std::vector<std::string> compute_capabilities(const std::vector<std::string>& add, const std::vector<std::string>& drop,
                                              bool privileged);

// The kernel bitmask of a set (bit n = capability n), as /proc/<pid>/status shows it.
unsigned long long capability_mask(const std::vector<std::string>& caps);

// In the init / exec helper: drops every capability not in `keep` from the bounding set. Needs
// CAP_SETPCAP. Throws SysError.
void drop_bounding_set(const std::vector<std::string>& keep);
// Sets permitted and effective to `keep` (inheritable cleared). Throws SysError.
void apply_capabilities(const std::vector<std::string>& keep);

}  // namespace berth::engine
