#pragma once
// Building a service's image from its `build:` section with berth's own builder
// (builder/image_build.hpp), as docker compose builds: named `image:` or "<project>-<service>",
// the section's args (a bare name takes the value from the project's environment), target,
// dockerfile or dockerfile_inline, network and extra_hosts (compose/orchestrate/build_network.hpp),
// no_cache, pull, tags, labels and secrets.
#include <map>
#include <string>

#include "base/paths.hpp"
#include "compose/model.hpp"
#include "compose/orchestrate/service_image.hpp"

namespace berth::compose::orchestrate {

// What the command line adds to every build (`berth build`, `up --build`).
struct BuildFlags {
  bool no_cache = false;
  bool pull = false;
  bool quiet = false;                          // only warnings and errors
  bool tty = false;                            // steps redrawn in place (a terminal), else plain lines
  std::map<std::string, std::string> args;     // --build-arg, over the section's
};

// Builds the service's image (its `build:` must be set); returns the image id. Warns once per key
// of the section the builder does not use, naming where it is written. Throws what the builder
// throws (a Dockerfile error names the file and line).
std::string build_service(const StatePaths& paths, const Project& p, const Service& s, const BuildFlags& flags);

}  // namespace berth::compose::orchestrate
