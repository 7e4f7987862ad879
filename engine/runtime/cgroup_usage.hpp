#pragma once
// What a container's cgroup has used, read from the v1 or v2 files, for `stats`: the numbers
// docker stats shows (memory without the inactive page cache, as docker and the kernel's own
// OOM decisions count it).
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace berth::engine {

struct CgroupUsage {
  std::uint64_t cpu_ns = 0;                     // CPU time, user + system
  std::uint64_t memory = 0;                     // usage minus inactive file cache
  std::optional<std::uint64_t> memory_limit;    // nullopt: no limit of its own
  std::uint64_t pids = 0;
  std::optional<std::uint64_t> pids_limit;
  std::uint64_t io_read = 0, io_write = 0;      // bytes, every device
};

// "key value" lines (memory.stat, cpu.stat).
std::map<std::string, std::uint64_t> parse_keyed(std::string_view text);
// v2 io.stat: "MAJ:MIN rbytes=N wbytes=N ..." per device; the sums.
std::pair<std::uint64_t, std::uint64_t> parse_io_stat(std::string_view text);
// v1 blkio.throttle.io_service_bytes(_recursive): "MAJ:MIN Read N" lines; the sums.
std::pair<std::uint64_t, std::uint64_t> parse_blkio_service_bytes(std::string_view text);

// A v2 cgroup directory.
CgroupUsage read_usage_v2(const std::filesystem::path& dir);
// v1: the container's directory per controller ("memory", "cpuacct", "pids", "blkio"); missing
// controllers count as zero.
CgroupUsage read_usage_v1(const std::map<std::string, std::filesystem::path>& dirs);

}  // namespace berth::engine
