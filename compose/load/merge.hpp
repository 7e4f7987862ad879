// Merging project files (several -f files, overrides, extends) with compose's rules (compose-go's
// override package): mappings merge, scalars override, most sequences append; environment, labels,
// sysctls, extra_hosts ... merge by key whatever their form; depends_on and networks merge by
// name; ports, volumes, secrets, configs, expose are unique by their key; command, entrypoint and
// healthcheck.test are replaced. `!reset` removes a value, `!override` replaces instead of merging.
#pragma once

#include <string>

#include "compose/tree.hpp"

namespace berth::compose::load {

// `over` on top of `base`. `section` is the path of both ("" for whole documents, "services.*" for
// a service definition when merging `extends`).
Node merge_nodes(const Node& base, const Node& over, const std::string& section = "");

// Removes nodes tagged !reset and clears !override tags (after all merging is done).
void strip_merge_tags(Node& n);

}  // namespace berth::compose::load
