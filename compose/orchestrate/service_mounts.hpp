#pragma once
// A service's `volumes:`, `tmpfs:`, `secrets:` and `configs:` in the words of volumes/
// (MountRequest): the translation is pure so it is unit-tested without root.
#include <filesystem>
#include <string>
#include <vector>

#include "compose/model.hpp"
#include "volumes/mount_plan.hpp"

namespace berth::compose::orchestrate {

// volumes: + tmpfs: of the service. Named volumes get their real name (`<project>_<key>` or
// `name:`), driver, driver_opts and compose labels. Throws UserError for unsupported types
// (npipe, cluster, image) and for a volume key the project does not declare.
std::vector<volumes::MountRequest> mount_requests(const Project& project, const Service& service);

// "/run:size=64m,mode=1777" (the short `tmpfs:` form) as a request. Throws UserError.
volumes::MountRequest parse_tmpfs(const std::string& spec);

// One secret or config file to provide: either an existing host file (`file:`) or content that
// must be written first (`environment:`, `content:`).
struct FileMount {
  std::string key;        // the top-level secret/config key
  std::string target;     // absolute path in the container
  std::string host_file;  // `file:` source, empty when content is set
  std::optional<std::string> content;
  std::optional<uint32_t> mode;
  std::string uid, gid;
};

// secrets: mount at /run/secrets/<key> (or target: relative to /run/secrets), configs: at
// /<key> (or target:). Throws UserError for an undeclared one or an unset environment variable.
std::vector<FileMount> file_mounts(const Project& project, const Service& service);

// A secret or config with uid, gid or mode: a copy of `source` made for the service in `dir`,
// owned and with the mode as asked (defaults: 0, 0, 0444 as compose's), bound instead of the
// file itself (whose owner and mode are the user's). Returns the copy's path.
std::string owned_file_copy(const std::filesystem::path& dir, const std::string& service, const FileMount& f,
                            const std::string& source);

// Where the content of environment/content secrets and configs of a project is written.
std::filesystem::path project_files_dir(const std::filesystem::path& state_root, const std::string& project);

}  // namespace berth::compose::orchestrate
