#pragma once
// Pieces shared by the Runtime's operation files (not part of the public API).
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>

#include "base/paths.hpp"
#include "engine/monitor/status_file.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::engine::detail {

namespace fs = std::filesystem;

struct ContainerFiles {
  fs::path dir;   // <root>/containers/<id>
  fs::path rdir;  // <runtime>/containers/<id>
  fs::path netns;
  fs::path config() const { return dir / "container.json"; }
  fs::path state() const { return dir / "state"; }
  // Made anew by every start (as Docker regenerates /etc/hosts and resolv.conf), so kept in the
  // runtime directory (a tmpfs by default): no disk inodes for them, nor for the overlay's
  // mount point.
  fs::path hosts() const { return rdir / "hosts"; }
  fs::path hostname() const { return rdir / "hostname"; }
  fs::path resolv_conf() const { return rdir / "resolv.conf"; }
  fs::path init_spec() const { return rdir / "init-spec.json"; }
  fs::path health_request() const { return rdir / "health-exec.json"; }
  fs::path rootfs() const { return rdir / "rootfs"; }
  fs::path monitor_lock() const { return rdir / "monitor.lock"; }
  fs::path op_lock() const { return rdir / "op.lock"; }
};

ContainerFiles files_for(const StatePaths& paths, const std::string& id);
fs::path containers_dir(const StatePaths& paths);

// Temp + rename without fsync: these files are rewritten on every start, speed matters more.
void write_text(const fs::path& path, const std::string& text, unsigned mode = 0644);

// /etc/hosts, /etc/hostname and /etc/resolv.conf of the container, as the spec says (or the
// defaults); written at create and again by a start that finds them gone (the runtime directory
// does not survive a reboot). update_hosts adds the network's names after an attach.
void write_etc_files(const ContainerFiles& f, const ContainerInfo& info);

// True while the container's monitor holds its lock.
bool monitor_alive(const ContainerFiles& f);
// Reads container.json + state + liveness into a ContainerInfo. nullopt when not a container.
std::optional<ContainerInfo> load_info(const StatePaths& paths, const std::string& id);
monitor::Status load_status(const ContainerFiles& f);

// The container's environment as the process sees it (HOSTNAME, TERM added as Docker does).
std::vector<std::string> container_env(const ContainerInfo& info);
std::string container_hostname(const ContainerInfo& info);

// Polls `pred` every few ms until true or `timeout`; returns pred's last value.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

// The container's line in the host's event log (engine/monitor/event_log.hpp): its name, image
// and labels as the event's attributes.
fs::path events_path(const StatePaths& paths);
std::string event_attributes(const std::string& name, const std::string& image,
                             const std::map<std::string, std::string>& labels);
void emit_event(const StatePaths& paths, const std::string& action, const ContainerInfo& info);

// Opens a pidfd for `pid` (-1 if gone).
int open_pidfd(pid_t pid);
// Waits until the pidfd is readable (the process exited). False on timeout.
bool wait_pidfd(int fd, std::chrono::milliseconds timeout);

}  // namespace berth::engine::detail
