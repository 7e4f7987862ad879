#include "engine/runtime/signal_disposition.hpp"

#include <sys/syscall.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/file_io.hpp"

namespace berth::engine {
namespace {

// The value of a "Key:\t..." line, without the key; nullopt when there is no such line.
std::optional<std::string_view> field(std::string_view status, std::string_view key) {
  for (size_t pos = 0; pos < status.size();) {
    size_t end = status.find('\n', pos);
    if (end == std::string_view::npos) end = status.size();
    std::string_view line = status.substr(pos, end - pos);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':')
      return line.substr(key.size() + 1);
    pos = end + 1;
  }
  return std::nullopt;
}

// A signal mask line ("SigCgt:\t0000000000004000"); nullopt when missing or not hexadecimal.
std::optional<uint64_t> mask(std::string_view status, std::string_view key) {
  auto text = field(status, key);
  if (!text) return std::nullopt;
  std::string hex(*text);
  size_t first = hex.find_first_not_of(" \t");
  if (first == std::string::npos) return std::nullopt;
  try {
    size_t used = 0;
    uint64_t bits = std::stoull(hex.substr(first), &used, 16);
    if (first + used != hex.size()) return std::nullopt;
    return bits;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

bool init_discards_signal(std::string_view proc_status, int sig) {
  if (sig <= 0 || sig > 64) return false;
  auto nspid = field(proc_status, "NSpid");
  if (!nspid) return false;
  std::string_view ids = *nspid;
  while (!ids.empty() && (ids.back() == ' ' || ids.back() == '\t')) ids.remove_suffix(1);
  size_t last = ids.find_last_of(" \t");
  if ((last == std::string_view::npos ? ids : ids.substr(last + 1)) != "1") return false;
  // Received when caught by a handler, or blocked (the kernel queues a blocked signal, whatever
  // its handler: an init reading a signalfd, as berth-init does).
  auto caught = mask(proc_status, "SigCgt");
  auto blocked = mask(proc_status, "SigBlk");
  if (!caught || !blocked) return false;
  return ((*caught | *blocked) & (uint64_t{1} << (sig - 1))) == 0;
}

bool waits_in_sigtimedwait(std::string_view proc_syscall) {
  size_t end = proc_syscall.find_first_of(" \n");
  return proc_syscall.substr(0, end) == std::to_string(SYS_rt_sigtimedwait);
}

bool init_discards_signal(pid_t pid, int sig) {
  std::string proc = "/proc/" + std::to_string(pid);
  auto text = try_read_file(proc + "/status");
  if (!text || !init_discards_signal(*text, sig)) return false;
  // In sigwaitinfo the kernel shows the mask minus the signals waited for (it keeps the real one
  // aside while the call sleeps): an init waiting so (berth-init, tini) looks deaf and is not.
  auto call = try_read_file(proc + "/syscall");
  return call && !waits_in_sigtimedwait(*call);
}

}  // namespace berth::engine
