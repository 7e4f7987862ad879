#include "engine/runtime/cgroup_usage.hpp"

#include <charconv>
#include <sstream>

#include "base/file_io.hpp"

namespace berth::engine {
namespace fs = std::filesystem;
namespace {

std::optional<std::uint64_t> to_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p == s.data()) return std::nullopt;
  return v;
}

std::string read(const fs::path& file) { return try_read_file(file).value_or(""); }

std::uint64_t read_u64(const fs::path& file) {
  std::string s = read(file);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return to_u64(s).value_or(0);
}

// "max" (v2) or a v1 limit at or near the largest page-aligned value are no limit of its own.
std::optional<std::uint64_t> read_limit(const fs::path& file) {
  std::string s = read(file);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  if (s.empty() || s == "max") return std::nullopt;
  auto v = to_u64(s);
  if (!v || *v >= (std::uint64_t{1} << 62)) return std::nullopt;
  return v;
}

std::uint64_t value_or_zero(const std::map<std::string, std::uint64_t>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

std::uint64_t minus(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; }

}  // namespace

std::map<std::string, std::uint64_t> parse_keyed(std::string_view text) {
  std::map<std::string, std::uint64_t> out;
  std::istringstream in{std::string(text)};
  std::string key, value;
  while (in >> key >> value)
    if (auto v = to_u64(value)) out[key] = *v;
  return out;
}

std::pair<std::uint64_t, std::uint64_t> parse_io_stat(std::string_view text) {
  std::uint64_t r = 0, w = 0;
  std::istringstream in{std::string(text)};
  std::string word;
  while (in >> word) {
    auto eq = word.find('=');
    if (eq == std::string::npos) continue;
    auto v = to_u64(std::string_view(word).substr(eq + 1)).value_or(0);
    if (word.compare(0, eq, "rbytes") == 0) r += v;
    if (word.compare(0, eq, "wbytes") == 0) w += v;
  }
  return {r, w};
}

std::pair<std::uint64_t, std::uint64_t> parse_blkio_service_bytes(std::string_view text) {
  std::uint64_t r = 0, w = 0;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string dev, op, value;
    if (!(l >> dev >> op >> value)) continue;  // the "Total N" line has two words
    auto v = to_u64(value).value_or(0);
    if (op == "Read") r += v;
    if (op == "Write") w += v;
  }
  return {r, w};
}

CgroupUsage read_usage_v2(const fs::path& dir) {
  CgroupUsage u;
  u.cpu_ns = value_or_zero(parse_keyed(read(dir / "cpu.stat")), "usage_usec") * 1000;
  u.memory = minus(read_u64(dir / "memory.current"), value_or_zero(parse_keyed(read(dir / "memory.stat")), "inactive_file"));
  u.memory_limit = read_limit(dir / "memory.max");
  u.pids = read_u64(dir / "pids.current");
  u.pids_limit = read_limit(dir / "pids.max");
  std::tie(u.io_read, u.io_write) = parse_io_stat(read(dir / "io.stat"));
  return u;
}

CgroupUsage read_usage_v1(const std::map<std::string, fs::path>& dirs) {
  CgroupUsage u;
  auto at = [&](const char* c) -> std::optional<fs::path> {
    auto it = dirs.find(c);
    return it == dirs.end() ? std::nullopt : std::optional(it->second);
  };
  if (auto d = at("cpuacct")) u.cpu_ns = read_u64(*d / "cpuacct.usage");
  if (auto d = at("memory")) {
    u.memory = minus(read_u64(*d / "memory.usage_in_bytes"),
                     value_or_zero(parse_keyed(read(*d / "memory.stat")), "total_inactive_file"));
    u.memory_limit = read_limit(*d / "memory.limit_in_bytes");
  }
  if (auto d = at("pids")) {
    u.pids = read_u64(*d / "pids.current");
    u.pids_limit = read_limit(*d / "pids.max");
  }
  if (auto d = at("blkio")) {
    std::string text = read(*d / "blkio.throttle.io_service_bytes_recursive");
    if (text.empty()) text = read(*d / "blkio.throttle.io_service_bytes");
    std::tie(u.io_read, u.io_write) = parse_blkio_service_bytes(text);
  }
  return u;
}

}  // namespace berth::engine
