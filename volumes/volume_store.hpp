#pragma once
// The volume store: named and anonymous volumes of the local driver, as Docker keeps them.
//
// Layout under the state root:
//   <root>/volumes/<name>/_data        the volume's content (bind-mounted into containers)
//   <root>/volumes/<name>/volume.json  {name, driver, labels, options, created, initialized}
//   <root>/volumes/.lock               flock: creates and removes are serialized
// Records are written atomically (temp + rename) and a volume directory without its record is
// not a volume (a crash mid-create leaves nothing visible; the next create reuses the dir).
//
// driver_opts of the local driver, as Docker's: {type, device, o}.
//  - `type: none` + `o: bind` (+ `device: /path`): the volume IS that host directory (the device
//    must exist); nothing is mounted, containers bind the device path directly.
//  - any other `type` (tmpfs, ext4, nfs ...): `mount -t type -o o device _data` when the volume is
//    made usable (ensure_mounted), unmounted when it is removed.
// volumes/ knows nothing of containers: whether a volume is in use is decided by the caller.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/paths.hpp"

namespace berth::volumes {

inline constexpr const char* kAnonymousLabel = "com.docker.volume.anonymous";

struct VolumeCreate {
  std::string name;  // empty: an anonymous volume with a random 64-hex name
  std::string driver = "local";
  std::map<std::string, std::string> driver_opts;
  std::map<std::string, std::string> labels;
};

struct VolumeInfo {
  std::string name;
  std::string driver = "local";
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;  // driver_opts
  std::string created;                          // RFC 3339 UTC
  std::filesystem::path dir;                    // <root>/volumes/<name>
  std::filesystem::path mountpoint;             // <root>/volumes/<name>/_data
  bool initialized = false;                     // image content already copied up (or skipped)

  bool anonymous() const { return labels.count(kAnonymousLabel) > 0; }
  // The host directory containers bind: the bind device for `o: bind` volumes, else mountpoint.
  std::filesystem::path source() const;
};

// Docker's rule for volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (anonymous ones are 64 hex).
bool valid_volume_name(const std::string& name);

class VolumeStore {
 public:
  explicit VolumeStore(const StatePaths& paths);

  const std::filesystem::path& dir() const { return dir_; }

  // Creates the volume; an existing one of that name is returned unchanged (as `docker volume
  // create` does) with created=false. Throws UserError for a bad name, an unsupported driver or
  // bad driver_opts (a bind device that does not exist); nothing is left behind on failure.
  struct Ensured {
    VolumeInfo info;
    bool created = false;
  };
  Ensured ensure(const VolumeCreate& request);

  std::optional<VolumeInfo> find(const std::string& name) const;
  // Throws UserError("no such volume: X").
  VolumeInfo get(const std::string& name) const;
  std::vector<VolumeInfo> list() const;  // sorted by name

  // Mounts a `type:` volume on its _data dir if it is not mounted (after a reboot); no-op for
  // plain and bind volumes. Throws SysError naming the mount.
  void ensure_mounted(const VolumeInfo& info) const;
  // Records that the copy-up was done (or is not wanted) so it never happens twice.
  void mark_initialized(const std::string& name);

  // Unmounts (typed volumes) and deletes the volume with its content. The caller has checked that
  // no container uses it. Throws UserError("no such volume: X") when missing.
  void remove(const std::string& name);

 private:
  StatePaths paths_;
  std::filesystem::path dir_;
};

}  // namespace berth::volumes
