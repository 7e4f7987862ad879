// Runtime::stats: one sample of a running container's cgroup usage and network counters.
#include "base/file_io.hpp"
#include "engine/runtime/cgroup.hpp"
#include "engine/runtime/net_dev.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::engine {

ContainerStats Runtime::stats(const ContainerInfo& info) const {
  ContainerStats s;
  s.sampled = std::chrono::steady_clock::now();
  if (!info.running()) return s;
  s.cgroup = Cgroup::for_container(info.id)->usage();
  // A container on the host's network shows no traffic of its own, as with docker.
  if (info.pid > 0 && info.spec.network.kind != NetworkMode::Kind::Host)
    std::tie(s.net_rx, s.net_tx) = parse_net_dev(try_read_file("/proc/" + std::to_string(info.pid) + "/net/dev").value_or(""));
  return s;
}

}  // namespace berth::engine
