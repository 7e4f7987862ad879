#pragma once
// Host-wide settings berth changes for its networks, recorded so that they are put back when the
// last berth bridge on the host goes (across every state root: the record lives in a host-wide
// directory, changed under a host-wide lock).
#include <filesystem>
#include <string>

namespace berth::network {

class HostSettings {
 public:
  explicit HostSettings(std::filesystem::path host_dir) : dir_(std::move(host_dir)) {}
  std::filesystem::path lock_path() const { return dir_ / "host.lock"; }

  // Sets /proc/sys/<key> to `value` unless it already is; the first change records the old value.
  void set(const std::string& key, const std::string& value);
  // Puts every recorded value back and forgets the record (call when no berth bridge is left).
  void restore_all();
  bool has_record() const;

 private:
  std::filesystem::path record_path() const { return dir_ / "sysctls.json"; }
  std::filesystem::path dir_;
};

// Reads /proc/sys/<key> ("net/ipv4/ip_forward"), trimmed; throws SysError.
std::string read_sysctl(const std::string& key);
void write_sysctl(const std::string& key, const std::string& value);

}  // namespace berth::network
