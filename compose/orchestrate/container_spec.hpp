#pragma once
// From a service (and its image) to the runtime's ContainerSpec: Docker's rules for entrypoint
// and command, environment layering, user/working dir/stop signal/healthcheck inheritance from
// the image, resources, restart, logging. Pure (no runtime, no root): unit-tested.
#include <map>
#include <string>
#include <vector>

#include "compose/model.hpp"
#include "engine/image/image_store.hpp"
#include "engine/runtime/runtime.hpp"
#include "volumes/mount_plan.hpp"

namespace berth::compose::orchestrate {

struct SpecInput {
  const Project* project = nullptr;
  const Service* service = nullptr;
  int number = 1;
  std::string name;          // container name
  bool oneoff = false;
  std::string config_hash;   // the label value
  std::string image_id;      // "sha256:..."
  engine::ImageConfig image;
  std::vector<std::filesystem::path> layer_dirs;
  std::vector<volumes::ResolvedMount> mounts;
  // Extra mounts (secrets/configs files), already as runtime mounts.
  std::vector<engine::MountSpec> file_mounts;
  std::map<std::string, std::string> link_env;  // Fig link variables (under the service's own env)
  std::string resolv_conf;
  std::string hosts_file;
  // network_mode service:x / container:x resolved to a container name (JoinContainer).
  std::string join_container;
  // The containers named by pid/ipc/uts "service:X" and volumes_from entries: by service name
  // (its first replica), or "container:NAME" as written. Their ids make the namespace joins and
  // their mounts the volumes_from ones.
  std::map<std::string, engine::ContainerInfo> peers;
};

// The containers `s` refers to by pid/ipc/uts and volumes_from (keys of SpecInput::peers).
std::vector<std::string> peer_refs(const Service& s);

// Docker's rule: a service `entrypoint` resets the image's Cmd; `command` replaces Cmd.
// Throws UserError when nothing is left to run.
std::vector<std::string> effective_argv(const Service& s, const engine::ImageConfig& image);

// image Env < link variables < service environment; PATH stays the image's unless overridden.
std::vector<std::string> effective_env(const Service& s, const engine::ImageConfig& image,
                                       const std::map<std::string, std::string>& link_env);

// The service's healthcheck over the image's (unset fields inherit), with Docker's defaults.
engine::HealthcheckSpec effective_healthcheck(const Service& s, const engine::ImageConfig& image);

// restart: or deploy.restart_policy.
engine::RestartPolicy effective_restart(const Service& s);

// The labels every project container carries (project, service, number, hash, oneoff, ...).
std::map<std::string, std::string> container_labels(const Project& p, const Service& s, int number,
                                                    bool oneoff, const std::string& config_hash,
                                                    const std::string& image_id);

engine::ContainerSpec build_spec(const SpecInput& in);

// "10m", "1g", "512k", "100" -> bytes (logging max-size). Throws UserError.
std::int64_t parse_byte_size(const std::string& text);

}  // namespace berth::compose::orchestrate
