#include "engine/runtime/rlimits.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "base/error.hpp"

namespace berth::engine {

namespace {

const std::pair<const char*, int> kNames[] = {
      {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},
      {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},     {"memlock", RLIMIT_MEMLOCK},
      {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},     {"nofile", RLIMIT_NOFILE},
      {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},         {"rtprio", RLIMIT_RTPRIO},
      {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK},
      {"as", RLIMIT_AS}};

}  // namespace

int rlimit_resource(const std::string& name) {
  for (const auto& [n, r] : kNames)
    if (name == n) return r;
  return -1;
}

std::vector<InitRlimit> baseline_rlimits(const std::vector<InitRlimit>& set) {
  constexpr rlim_t kNofileSoft = 1024, kNofileHard = 524288;
  auto value = [](rlim_t v) { return v == RLIM_INFINITY ? std::int64_t{-1} : static_cast<std::int64_t>(v); };
  auto at_most = [](rlim_t v, rlim_t cap) { return cap == RLIM_INFINITY ? v : v == RLIM_INFINITY ? cap : std::min(v, cap); };
  std::vector<InitRlimit> out;
  for (const auto& [name, res] : kNames) {
    if (std::any_of(set.begin(), set.end(), [&](const InitRlimit& l) { return l.name == name; })) continue;
    struct rlimit own {}, host {};
    if (::getrlimit(static_cast<__rlimit_resource>(res), &own) != 0) continue;
    if (res == RLIMIT_NOFILE) host = {kNofileSoft, kNofileHard};
    else if (::prlimit(1, static_cast<__rlimit_resource>(res), nullptr, &host) != 0) host = own;
    rlim_t hard = at_most(host.rlim_max, own.rlim_max);
    rlim_t soft = at_most(host.rlim_cur, hard);
    out.push_back({name, value(soft), value(hard)});
  }
  return out;
}

void apply_rlimits(const std::vector<InitRlimit>& limits) {
  for (const auto& l : limits) {
    int res = rlimit_resource(l.name);
    if (res < 0) throw UserError("invalid ulimit \"" + l.name + "\": unknown resource");
    auto conv = [](std::int64_t v) { return v < 0 ? RLIM_INFINITY : static_cast<rlim_t>(v); };
    struct rlimit rl {conv(l.soft), conv(l.hard)};
    if (rl.rlim_cur > rl.rlim_max)
      throw UserError("invalid ulimit " + l.name + ": soft limit " + std::to_string(l.soft) + " exceeds hard limit " +
                      std::to_string(l.hard));
    if (::setrlimit(static_cast<__rlimit_resource>(res), &rl) != 0) {
      if (errno == EPERM) {
        struct rlimit cur {};
        ::getrlimit(static_cast<__rlimit_resource>(res), &cur);
        throw UserError("ulimit " + l.name + "=" + std::to_string(l.soft) + ":" + std::to_string(l.hard) +
                        ": cannot raise the hard limit above " + std::to_string(cur.rlim_max) +
                        " (no CAP_SYS_RESOURCE)");
      }
      throw_errno("setrlimit", l.name);
    }
  }
}

}  // namespace berth::engine
