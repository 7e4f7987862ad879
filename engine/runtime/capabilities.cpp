#include "engine/runtime/capabilities.hpp"

#include <linux/capability.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "base/error.hpp"

namespace berth::engine {
namespace {

int last_cap() {
  // cap_max_bits() reads /proc/sys/kernel/cap_last_cap (libcap >= 2.30).
  int n = static_cast<int>(cap_max_bits()) - 1;
  return n > 0 ? n : CAP_LAST_CAP;
}

int cap_value(const std::string& name) {
  cap_value_t v;
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (cap_from_name(lower.c_str(), &v) != 0) throw UserError("unknown capability: \"" + name + "\"");
  return v;
}

struct CapFree {
  void operator()(cap_t c) const { cap_free(c); }
};

}  // namespace

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> caps = {
      "CAP_AUDIT_WRITE", "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FOWNER",          "CAP_FSETID",
      "CAP_KILL",        "CAP_MKNOD",  "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",    "CAP_SETFCAP",
      "CAP_SETGID",      "CAP_SETPCAP", "CAP_SETUID",      "CAP_SYS_CHROOT"};
  return caps;
}

std::vector<std::string> all_capabilities() {
  std::vector<std::string> out;
  for (int i = 0; i <= last_cap(); ++i) {
    // Only what this process may pass on (Docker does the same): a capability missing from our
    // bounding set cannot be granted, and asking for it would fail the container's start.
    if (::prctl(PR_CAPBSET_READ, i, 0, 0, 0) != 1) continue;
    char* n = cap_to_name(i);
    if (!n) continue;
    std::string s = n;
    cap_free(n);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
    if (s.rfind("CAP_", 0) == 0) out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string normalize_capability(const std::string& name) {
  std::string s = name;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  if (s == "ALL") return s;
  if (s.rfind("CAP_", 0) != 0) s = "CAP_" + s;
  cap_value(s);  // validates
  return s;
}

std::vector<std::string> compute_capabilities(const std::vector<std::string>& add,
                                              const std::vector<std::string>& drop, bool privileged) {
  std::vector<std::string> caps = privileged ? all_capabilities() : default_capabilities();
  if (privileged) return caps;
  for (const auto& d : drop) {
    std::string n = normalize_capability(d);
    if (n == "ALL")
      caps.clear();
    else
      caps.erase(std::remove(caps.begin(), caps.end(), n), caps.end());
  }
  for (const auto& a : add) {
    std::string n = normalize_capability(a);
    if (n == "ALL") {
      caps = all_capabilities();
      break;
    }
    if (std::find(caps.begin(), caps.end(), n) == caps.end()) caps.push_back(n);
  }
  std::sort(caps.begin(), caps.end());
  return caps;
}

unsigned long long capability_mask(const std::vector<std::string>& caps) {
  unsigned long long m = 0;
  for (const auto& c : caps) m |= 1ull << cap_value(c);
  return m;
}

void drop_bounding_set(const std::vector<std::string>& keep) {
  unsigned long long mask = capability_mask(keep);
  for (int i = 0; i <= last_cap(); ++i) {
    if (mask & (1ull << i)) continue;
    if (::prctl(PR_CAPBSET_DROP, i, 0, 0, 0) != 0 && errno != EINVAL) throw_errno("prctl(PR_CAPBSET_DROP)");
  }
}

void apply_capabilities(const std::vector<std::string>& keep) {
  std::unique_ptr<_cap_struct, CapFree> c(cap_init());
  if (!c) throw_errno("cap_init");
  std::vector<cap_value_t> vals;
  for (const auto& k : keep) vals.push_back(cap_value(k));
  if (!vals.empty()) {
    if (cap_set_flag(c.get(), CAP_PERMITTED, static_cast<int>(vals.size()), vals.data(), CAP_SET) != 0 ||
        cap_set_flag(c.get(), CAP_EFFECTIVE, static_cast<int>(vals.size()), vals.data(), CAP_SET) != 0)
      throw_errno("cap_set_flag");
  }
  if (cap_set_proc(c.get()) != 0) throw_errno("cap_set_proc");
}

}  // namespace berth::engine
