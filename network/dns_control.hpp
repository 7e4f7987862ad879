#pragma once
// The manager's side of the embedded DNS server: writes the table, starts berth-dns when the
// first network appears (detached, double fork), tells it to reload after each change and waits
// for its answer (so a container started right after attach() resolves its peers), and lets it
// exit when the last network is gone.
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "network/dns_table.hpp"

namespace berth::network {

class DnsControl {
 public:
  DnsControl(std::filesystem::path dir, std::filesystem::path program);

  // Makes the server serve exactly `table` (stopping it when the table has no network).
  // Returns "" or a problem the server reported (a listener it could not open).
  std::string apply(const DnsTable& table);
  // The running server's pid, if one answers.
  std::optional<pid_t> running_pid() const;

  std::filesystem::path table_path() const { return dir_ / "dns-table.json"; }
  std::filesystem::path control_path() const { return dir_ / "dns.sock"; }
  std::filesystem::path log_path() const { return dir_ / "dns.log"; }
  std::filesystem::path pid_path() const { return dir_ / "dns.pid"; }

  // "berth-dns" from, in order: `configured`, $BERTH_DNS_PATH, beside /proc/self/exe, one up.
  static std::filesystem::path find_program(const std::filesystem::path& configured);

 private:
  std::optional<std::string> request(const std::string& command, int timeout_ms) const;
  void spawn() const;
  std::filesystem::path dir_, program_;
};

}  // namespace berth::network
