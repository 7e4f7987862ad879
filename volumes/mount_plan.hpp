#pragma once
// The mount plan of one container, as data (DESIGN.md "Plans as data"): what the project asks
// for (binds, named and anonymous volumes, tmpfs), what the image declares (VOLUME), and what
// volumes_from inherits, merged into the final list of mounts by Docker's precedence rules.
// plan_mounts() is pure (unit-tested without root); resolve_mounts() then makes the plan real
// on the host (creates volumes and missing bind sources, copies image content up) and returns
// host paths the runtime binds.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::volumes {

class VolumeStore;

// One mount the container asks for (compose `volumes:`/`tmpfs:`, `run -v`).
struct MountRequest {
  enum class Kind { Bind, Named, Anonymous, Tmpfs };
  Kind kind = Kind::Anonymous;
  std::string source;  // Bind: absolute host path; Named: the volume's real name; else unused
  std::string target;  // absolute path in the container
  bool read_only = false;
  bool create_host_path = true;  // Bind: create a missing source (short syntax); false: error
  std::string propagation;       // Bind: rprivate, shared, ...
  bool nocopy = false;           // Named/Anonymous: no copy-up of the image's content
  std::string subpath;           // Named: mount only this sub directory of the volume
  std::optional<std::int64_t> tmpfs_size;  // bytes
  std::optional<std::uint32_t> tmpfs_mode;
  // Named volumes: what to make when it does not exist yet (compose's `volumes:` entry).
  std::string driver = "local";
  std::map<std::string, std::string> driver_opts;
  std::map<std::string, std::string> labels;
};

// One mount of the final plan.
struct PlannedMount {
  enum class Type { Bind, Volume, Tmpfs };
  Type type = Type::Volume;
  std::string source;  // Bind: host path; Volume: volume name; Tmpfs: unused
  std::string target;
  bool read_only = false;
  bool create_host_path = true;
  std::string propagation;
  std::string subpath;
  bool anonymous = false;
  bool copy_up = true;                 // Volume: fill a new, empty volume from the image
  std::vector<std::string> options;    // Tmpfs: "size=...", "mode=..."
  std::string origin;                  // "service", "image", "volumes_from" (messages, tests)
  // Named volumes not yet made: how to create them.
  std::string driver = "local";
  std::map<std::string, std::string> driver_opts;
  std::map<std::string, std::string> labels;

  bool operator==(const PlannedMount&) const = default;
};

struct MountPlanInput {
  std::vector<MountRequest> requests;
  std::vector<std::string> image_volumes;     // the image's VOLUME paths
  // Mounts of the containers named by volumes_from, with `:ro` already applied to read_only.
  std::vector<PlannedMount> inherited;
  // Anonymous volumes of the container being replaced, target -> volume name: a recreated
  // container keeps its anonymous data as compose does.
  std::map<std::string, std::string> previous_anonymous;
  std::map<std::string, std::string> anonymous_labels;  // labels for new anonymous volumes
};

// Merges by target: service requests win over volumes_from, which win over image VOLUMEs.
// Throws UserError for a relative target or two requests for the same target
// ("duplicate mount point: /data"). `new_name` names new anonymous volumes (random in real use,
// deterministic in tests).
std::vector<PlannedMount> plan_mounts(const MountPlanInput& input,
                                      const std::function<std::string()>& new_name);

// A mount ready for the runtime: host directory (or tmpfs) and target.
struct ResolvedMount {
  enum class Type { Bind, Tmpfs };
  Type type = Type::Bind;
  std::string source;  // host path
  std::string target;
  bool read_only = false;
  std::vector<std::string> options;
  std::string propagation;
  std::string volume;     // the volume's name for volume mounts ("" for binds and tmpfs)
  bool anonymous = false;
};

// Copies the image's content at `target` into an empty directory (see copy_up.hpp).
using CopyUpFn = std::function<void(const std::string& target, const std::filesystem::path& dest)>;

// Makes the plan real: creates missing volumes (anonymous ones with input labels), mounts typed
// volumes, creates missing bind sources when allowed (else UserError "bind source path does not
// exist: X"), runs the copy-up of new empty volumes (once per volume), resolves sub paths.
std::vector<ResolvedMount> resolve_mounts(const std::vector<PlannedMount>& plan, VolumeStore& store,
                                          const CopyUpFn& copy_up);

// A random 64-hex volume name, as Docker names anonymous volumes.
std::string random_volume_name();

}  // namespace berth::volumes
