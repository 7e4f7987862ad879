#pragma once
// The embedded container runtime (issue 4): from a ContainerSpec to an isolated, resource-limited
// process supervised by a small per-container monitor (`berth-monitor`) that outlives the CLI.
//
// On-disk layout:
//   <root>/containers/<id>/container.json   spec + identity (written at create; atomic writes).
//                                            Top-level keys "id", "name", "labels", "image_id",
//                                            "image", "created", "spec" (readers may rely on them).
//   <root>/containers/<id>/state            the monitor's live status (key=value lines, atomic)
//   <root>/containers/<id>/<id>-json.log    Docker json-file log (+ .1, .2 ... when rotated)
//   <root>/containers/<id>/{upper,work,merged}  overlay upper/work dirs and the rootfs mount point
//   <root>/containers/<id>/{hosts,resolv.conf,hostname}  bind-mounted at /etc/... in the container
//   <runtime>/netns/<id>                    the container's persistent network namespace (bind mount)
//   <runtime>/containers/<id>/monitor.lock  held (flock) by the monitor for its whole life
//   cgroups: berth/<id> under each v1 controller (memory, cpu, cpuacct, cpuset, pids, freezer,
//            blkio, devices) or under the v2 root on pure-v2 hosts
//
// Membership is by labels only (compose's com.docker.compose.project etc.): list() and
// find-by-labels are all the orchestration needs. Names are unique (a flock guards create/rename).
//
// THE NETWORK HOOK: every container with NetworkMode::New or ::None gets a persistent network
// namespace at create(), bind-mounted at ContainerInfo::netns_path with loopback up. The network
// layer attaches interfaces to that path between create() and start() (or from
// StartOptions::prestart, which runs after the init has set up the rootfs and before the command
// is executed). Restarts keep the same netns; remove() unmounts it.
//
// Thread-safety: a Runtime may be used from several threads; operations on one container are
// serialized by a per-container flock, so several berth processes may work at once.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/paths.hpp"
#include "base/unique_fd.hpp"
#include "engine/runtime/cgroup_usage.hpp"

namespace berth::engine {

// ---- the spec ----------------------------------------------------------------------------------

struct MountSpec {
  enum class Type { Bind, Tmpfs, VolumeDir };  // VolumeDir: a host directory prepared by volumes/
  Type type = Type::Bind;
  std::string source;  // host path (Bind, VolumeDir); ignored for Tmpfs
  std::string target;  // absolute path inside the container (resolved safely inside the rootfs)
  bool read_only = false;
  // Bind: "nosuid", "nodev", "noexec", "nocopy" ...; Tmpfs: "size=64m", "mode=1777", "uid=..",
  // "gid=.." (passed to the tmpfs mount as data).
  std::vector<std::string> options;
  std::string propagation;  // "", "rprivate", "private", "rshared", "shared", "rslave", "slave"
  bool create_host_path = true;  // Bind: create a missing source dir (compose's default)
};

struct Ulimit {
  std::string name;  // "nofile", "nproc", "core", "memlock", "stack", ... (Docker names)
  std::int64_t soft = 0;
  std::int64_t hard = 0;
};

// A container without pids_limit gets this one (podman's default), so a fork bomb meets a limit
// of its own before it exhausts the host's pids; -1 asks for none.
constexpr std::int64_t kDefaultPidsLimit = 2048;

struct Resources {
  std::int64_t memory = 0;              // bytes, 0 = unlimited
  std::int64_t memory_swap = 0;         // bytes incl. memory; -1 = unlimited swap; 0 = unset
  std::int64_t memory_reservation = 0;  // bytes (soft limit)
  double cpus = 0;                      // 1.5 = one and a half CPUs (cfs quota/period)
  std::int64_t cpu_shares = 0;          // relative weight (Docker's 2..262144)
  std::int64_t cpu_quota = 0;           // microseconds per period
  std::int64_t cpu_period = 0;          // microseconds
  std::string cpuset_cpus;              // "0-1", "0,2"
  std::int64_t pids_limit = 0;          // 0 = unset (kDefaultPidsLimit), -1 = unlimited
  std::optional<int> oom_score_adj;
};

struct RestartPolicy {
  enum class Kind { No, Always, OnFailure, UnlessStopped };
  Kind kind = Kind::No;
  int max_retries = 0;  // on-failure[:N]; 0 = unlimited
};
// "no" | "always" | "on-failure[:N]" | "unless-stopped"; throws UserError otherwise.
RestartPolicy parse_restart_policy(const std::string& text);
std::string to_string(const RestartPolicy& p);

// Rotated by default, so that one noisy container cannot fill the disk: 10 MiB x 3 files, the
// json-file settings Docker's logging documentation shows (Docker itself never rotates unless
// told). max-size -1 (kept as 0 here) turns rotation off.
struct LogOptions {
  static constexpr std::int64_t kDefaultMaxSize = 10 * 1024 * 1024;
  static constexpr int kDefaultMaxFile = 3;
  std::int64_t max_size = kDefaultMaxSize;  // bytes before rotation; 0 = never rotate
  int max_file = kDefaultMaxFile;           // files kept including the current one
};

// Healthcheck run by the monitor, inside the container's namespaces (like exec).
struct HealthcheckSpec {
  std::vector<std::string> test;  // ["CMD", argv...] | ["CMD-SHELL", "cmd"] | ["NONE"]; empty = none
  std::chrono::milliseconds interval{30000};
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds start_period{0};
  std::chrono::milliseconds start_interval{5000};
  int retries = 3;
};

struct NetworkMode {
  enum class Kind { New, Host, None, JoinContainer };
  Kind kind = Kind::New;
  std::string container;  // JoinContainer: id or name of the container whose netns is joined
};

struct ContainerSpec {
  std::string name;  // empty: generated ("berth_<12 hex>")
  std::map<std::string, std::string> labels;
  std::string image_id;  // "sha256:<hex>" (recorded; `image rm` reads it)
  std::string image;     // the reference as the user gave it (informational)
  std::vector<std::filesystem::path> lower_dirs;  // image layers bottom -> top (ImageStore::layer_dirs)

  std::vector<std::string> argv;  // entrypoint + cmd, already combined; must not be empty
  std::vector<std::string> env;   // "K=V"; PATH defaults to Docker's when absent
  std::string working_dir;        // default "/"; created when missing (as Docker does)
  std::string user;               // "", "name", "uid", "uid:gid", "name:group"
  std::string hostname;           // default: the first 12 chars of the id
  std::string domainname;
  bool tty = false;
  bool stdin_open = false;
  bool init = false;  // a tiny reaper as PID 1 that forwards signals to the command
  bool read_only = false;
  // What the container writes need not survive a crash of the host, and the container is never
  // started twice: its overlay is mounted "volatile" (no sync of the whole filesystem holding the
  // upper dir when the overlay goes, milliseconds per container). A build step's container.
  bool volatile_rootfs = false;
  std::vector<MountSpec> mounts;

  // Contents of the berth-managed /etc/hosts, /etc/resolv.conf, /etc/hostname. Empty: defaults
  // (localhost entries + the hostname; the host's resolv.conf; the hostname).
  std::string hosts_file;
  std::string resolv_conf;
  std::string hostname_file;

  std::vector<Ulimit> ulimits;
  std::map<std::string, std::string> sysctls;  // namespaced ones only (net.*, kernel.shm*, ...)
  std::vector<std::string> cap_add;            // "NET_ADMIN" or "CAP_NET_ADMIN"; "ALL"
  std::vector<std::string> cap_drop;
  bool privileged = false;
  bool no_new_privileges = false;
  bool seccomp_unconfined = false;
  // Host device nodes made in the container and allowed: "HOST[:CONTAINER][:PERMS]" (default
  // permissions rwm). The device policy (engine/runtime/device_rules.hpp) denies every other
  // device but Docker's defaults unless privileged.
  std::vector<std::string> devices;
  std::vector<std::string> device_cgroup_rules;  // extra allow rules, "c 1:3 rwm" (devices.allow syntax)
  std::int64_t shm_size = 64 << 20;  // bytes for /dev/shm
  Resources resources;

  RestartPolicy restart;
  LogOptions log;
  std::string stop_signal = "SIGTERM";  // name ("SIGTERM", "TERM") or number
  std::chrono::seconds stop_grace_period{10};
  HealthcheckSpec healthcheck;
  NetworkMode network;
  // The PID, IPC and UTS namespaces (compose's pid/ipc/uts, docker's --pid/--ipc/--uts): "" a
  // new one (also "private", "shareable"), "host" the host's, "container:NAME_OR_ID" a running
  // container's (joined when this one starts; an IPC join also shares that container's /dev/shm).
  std::string pid_mode, ipc_mode, uts_mode;
  // Extra supplementary groups of every process (names from the container's /etc/group, or gids).
  std::vector<std::string> group_add;
};

// ---- state -------------------------------------------------------------------------------------

enum class ContainerState { Created, Running, Paused, Restarting, Exited, Dead };
std::string to_string(ContainerState s);  // "created", "running", ... (Docker's words)

struct ContainerInfo {
  std::string id;  // 64 hex
  std::string name;
  std::map<std::string, std::string> labels;
  std::string image;     // as given
  std::string image_id;  // "sha256:..."
  std::string created;   // RFC 3339 nano
  ContainerState state = ContainerState::Created;
  pid_t pid = 0;  // host pid of the container's PID 1 while running, else 0
  int exit_code = 0;
  std::string started_at;   // RFC 3339 nano, empty when never started
  std::string finished_at;  // RFC 3339 nano, empty when never finished
  bool oom_killed = false;
  int restart_count = 0;
  std::string error;   // why the last start failed or the monitor died; empty otherwise
  std::string health;  // "", "starting", "healthy", "unhealthy"
  int health_failing_streak = 0;
  std::string health_last_output;
  std::filesystem::path netns_path;  // "<runtime>/netns/<id>" (New/None), or the joined one; empty for Host
  std::filesystem::path dir;         // <root>/containers/<id>
  std::filesystem::path log_path;    // <dir>/<id>-json.log
  ContainerSpec spec;

  bool running() const { return state == ContainerState::Running || state == ContainerState::Paused; }
};

// ---- operations --------------------------------------------------------------------------------

struct RuntimeOptions {
  // The berth executable re-executed as the container init ("berth __init"). Empty: $BERTH_EXE,
  // else /proc/self/exe. Tests pass BERTH_BINARY_DIR "/berth".
  std::filesystem::path berth_exe;
  // The monitor executable. Empty: $BERTH_MONITOR, else "berth-monitor" beside berth_exe.
  std::filesystem::path monitor_exe;
};

struct StartOptions {
  // Runs after the init has prepared the container (rootfs, namespaces) and before the command
  // is executed; info.pid is set. Throwing aborts the start (the container is killed, stays created).
  std::function<void(const ContainerInfo&)> prestart;
};

struct ExecOptions {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // added to / overriding the container's env
  std::string user;              // default: the container's user
  std::string working_dir;       // default: the container's
  bool tty = false;              // a pty on the caller's terminal (raw mode while running)
  bool interactive = false;      // keep stdin attached
  bool privileged = false;
  // In the background (`exec -d`): no stdio, exec returns 0 once the process is started and
  // never waits for it.
  bool detach = false;
};

struct LogsOptions {
  bool follow = false;
  std::optional<std::size_t> tail;  // last N lines
  std::string since;                // RFC 3339 time, or a duration ("10m", "1h30m") before now
  std::string until;
  bool timestamps = false;
};

struct LogEntry {
  std::string stream;  // "stdout" | "stderr"
  std::string time;    // RFC 3339 nano
  std::string line;    // including its trailing '\n' when it had one
};

// One sample of what a running container uses (docker stats' numbers).
struct ContainerStats {
  CgroupUsage cgroup;
  std::uint64_t net_rx = 0, net_tx = 0;  // bytes, every interface of its network namespace but lo
  std::chrono::steady_clock::time_point sampled;
};

class Runtime {
 public:
  explicit Runtime(const StatePaths& paths, RuntimeOptions options = {});

  const StatePaths& paths() const { return paths_; }
  // The host's container event log (JSON lines, engine/monitor/event_log.hpp).
  std::filesystem::path events_log() const;

  // Records the container (state dir, netns, cgroup not yet): returns its id. Throws UserError for
  // a bad spec (empty argv, name in use, invalid limit, bad restart policy ...); nothing is left.
  std::string create(const ContainerSpec& spec);
  // Starts the monitor, which starts the init; returns when the command is running (or throws:
  // e.g. UserError with exit code 127 "exec: \"x\": executable file not found in $PATH").
  // Starting a running container is a no-op.
  void start(const std::string& id, const StartOptions& options = {});
  // Runs a created container with the calling process as its supervisor instead of a monitor (a
  // build step's command): `output` gets each line of its stdout and stderr as it comes (no log
  // file), and its exit code is returned once it ended. Meanwhile the container is running for
  // inspect, kill and `rm -f`; afterwards it is exited. No tty, stdin, restart policy,
  // healthcheck or pre-start hook. Throws as start() does (UserError 126/127 for a command that
  // cannot be executed).
  int run_foreground(const std::string& id, const std::function<void(const std::string&)>& output);
  // Sends the stop signal, SIGKILL after `grace` (nullopt: the spec's stop_grace_period); waits
  // until it exited. An explicit stop is never undone by the restart policy.
  void stop(const std::string& id, std::optional<std::chrono::seconds> grace = std::nullopt);
  void kill(const std::string& id, int signal = 9);
  void restart(const std::string& id, std::optional<std::chrono::seconds> grace = std::nullopt,
               const StartOptions& options = {});
  void pause(const std::string& id);
  void unpause(const std::string& id);
  // Removes state dir, netns, cgroup. A running container needs force (then it is killed).
  void remove(const std::string& id, bool force = false);

  ContainerInfo inspect(const std::string& name_or_id) const;  // throws UserError if unknown
  std::vector<ContainerInfo> list() const;                      // all containers, any state
  // Exact name, exact id, or unique id prefix; nullopt if none. Ambiguous prefix: UserError.
  std::optional<ContainerInfo> find(const std::string& name_or_id) const;
  // Containers having all the given labels (value "" matches any value).
  std::vector<ContainerInfo> find_by_labels(const std::map<std::string, std::string>& labels) const;

  // Blocks until the container is not running; returns its exit code.
  int wait(const std::string& id);
  // Runs a process in the container's namespaces and cgroup with the caller's stdio (or a pty);
  // returns its exit status (126/127 as Docker does when it cannot be executed).
  int exec(const std::string& id, const ExecOptions& options);
  // Relays a terminal to a running container with a tty or an open stdin (its monitor's attach
  // socket): `in` to the container's stdin, its output to `out` (stderr to `err`), and, with a
  // tty, `out`'s window size now and at every SIGWINCH (blocked in the calling thread meanwhile:
  // call it with no other thread running). Returns when the container's output has ended (true), or false when the
  // container has no attach socket or no monitor to serve it (it exited already, or another
  // client is attached): then the output is in the container's log only.
  bool attach(const std::string& id, int in, int out, int err);
  // Reads the log; calls `sink` per entry (and, with follow, keeps going until the container stops).
  void logs(const std::string& id, const LogsOptions& options, const std::function<void(const LogEntry&)>& sink);
  // ps-like rows of the container's processes: header + rows (UID PID PPID STIME CMD).
  std::vector<std::vector<std::string>> top(const std::string& id) const;
  // Its cgroup's usage and network counters now; a container not running reads as zeros.
  ContainerStats stats(const ContainerInfo& info) const;
  // Rewrites /etc/hosts of a container in place (visible immediately inside; the network layer
  // uses it when peers change).
  void update_hosts(const std::string& id, const std::string& contents);

 private:
  // Returns the reservation, locked (flock) until the caller has recorded the container.
  UniqueFd reserve_name(const std::string& name, const std::string& id);
  void release_name(const std::string& name, const std::string& id);

  StatePaths paths_;
  RuntimeOptions options_;
};

// Entry point of the hidden "berth __init ..." mode (container init, exec helper).
int init_main(int argc, char** argv);

}  // namespace berth::engine
