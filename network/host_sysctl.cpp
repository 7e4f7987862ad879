#include "network/host_sysctl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/log.hpp"
#include "base/unique_fd.hpp"

namespace berth::network {

std::string read_sysctl(const std::string& key) {
  std::string v = read_file("/proc/sys/" + key);
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
  return v;
}

void write_sysctl(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/" + key;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", path);
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
    throw_errno("write " + value, path);
}

void HostSettings::set(const std::string& key, const std::string& value) {
  std::string current = read_sysctl(key);
  if (current == value) return;
  nlohmann::json rec = nlohmann::json::object();
  if (auto text = try_read_file(record_path())) rec = nlohmann::json::parse(*text, nullptr, false);
  if (!rec.is_object()) rec = nlohmann::json::object();
  if (!rec.contains(key)) rec[key] = current;
  // Record first: a crash between the two steps still leaves the old value known.
  std::filesystem::create_directories(dir_);
  write_file_atomic(record_path(), rec.dump(2) + "\n");
  write_sysctl(key, value);
  log::debug("sysctl {} = {} (was {})", key, value, current);
}

bool HostSettings::has_record() const { return std::filesystem::exists(record_path()); }

void HostSettings::restore_all() {
  auto text = try_read_file(record_path());
  if (!text) return;
  auto rec = nlohmann::json::parse(*text, nullptr, false);
  if (rec.is_object()) {
    for (const auto& [key, value] : rec.items()) {
      try {
        write_sysctl(key, value.get<std::string>());
        log::debug("sysctl {} restored to {}", key, value.get<std::string>());
      } catch (const std::exception& e) {
        log::warn("cannot restore sysctl {}: {}", key, e.what());
      }
    }
  }
  std::error_code ec;
  std::filesystem::remove(record_path(), ec);
}

}  // namespace berth::network
