#pragma once
// What the container init ("berth __init") is told: everything already resolved by the runtime
// (paths, final capability set, cgroup files), so the init only executes a flat checklist.
// Travels as one JSON datagram over the init's SOCK_SEQPACKET socket (fd 3). The exec helper
// ("berth __init exec") gets an ExecRequest the same way.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::engine {

struct InitMount {
  std::string kind;  // "bind" | "tmpfs"
  std::string source;
  std::string target;  // inside the container; resolved with RESOLVE_IN_ROOT
  bool read_only = false;
  bool is_file = false;  // bind of a file (create an empty file as the mount point)
  std::vector<std::string> flags;  // "nosuid", "nodev", "noexec"
  std::string data;                // tmpfs options
  std::string propagation;         // "", "rprivate", "rshared", "rslave", ...
};

struct InitRlimit {
  std::string name;
  std::int64_t soft = 0;
  std::int64_t hard = 0;
};

struct InitDevice {
  std::string host_path;
  std::string container_path;
};

// Credentials and confinement applied to every process started in the container (the command
// and exec'd processes alike).
struct ProcessSecurity {
  std::string user;  // as given; resolved inside the container's /etc/passwd and /etc/group
  std::vector<std::string> caps;  // the final bounding/effective set ("CAP_CHOWN", ...)
  bool no_new_privileges = false;
  bool seccomp = true;  // Docker's default profile
  std::string seccomp_program;  // ... compiled (default_seccomp_program), loaded when seccomp
  std::optional<int> oom_score_adj;
  std::vector<std::string> group_add;  // extra supplementary groups (names or gids)
};

struct InitSpec {
  std::string id;
  std::vector<std::string> lower_dirs;  // bottom -> top
  std::string upper;
  std::string work;
  std::string rootfs;  // the mount point of the overlay (inside the init's mount namespace)
  bool read_only = false;
  bool volatile_upper = false;  // ContainerSpec::volatile_rootfs
  std::vector<InitMount> mounts;
  std::string netns_path;                 // empty: keep the host's network namespace
  std::vector<std::string> cgroup_procs;  // "cgroup.procs" files the init joins before unsharing
  std::string hostname;
  std::string domainname;
  std::vector<InitRlimit> rlimits;
  std::map<std::string, std::string> sysctls;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd;
  bool tty = false;
  bool init = false;  // this process stays as PID 1, reaping, and spawns the command
  ProcessSecurity security;
  bool privileged = false;
  std::vector<InitDevice> devices;
  std::int64_t shm_size = 64 << 20;
  // Mounted at /dev/shm instead of a new tmpfs: the /dev/shm of the container (or host) whose
  // IPC namespace this one joins, so POSIX shared memory is shared as SysV IPC is. "host", or
  // the joined container's mount namespace ("/proc/<pid>/ns/mnt").
  std::string shm_source;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
};

struct ExecRequest {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd;
  bool tty = false;
  ProcessSecurity security;
  std::vector<InitRlimit> rlimits;
  std::vector<std::string> cgroup_procs;
};

std::string serialize_init_spec(const InitSpec& s);
InitSpec parse_init_spec(const std::string& json);
std::string serialize_exec_request(const ExecRequest& r);
ExecRequest parse_exec_request(const std::string& json);

// Docker's masked and read-only /proc, /sys paths.
const std::vector<std::string>& default_masked_paths();
const std::vector<std::string>& default_readonly_paths();

}  // namespace berth::engine
