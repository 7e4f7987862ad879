#pragma once
// Docker `import --change 'INSTR args'`: CMD/ENTRYPOINT (JSON exec form or shell form -> /bin/sh -c),
// ENV (KEY=value ... or legacy "KEY value"), EXPOSE (80 -> 80/tcp), LABEL, STOPSIGNAL, USER,
// VOLUME, WORKDIR, ONBUILD (the trigger kept as text). Throws UserError naming the line.
#include <string_view>

#include "engine/image/image_store.hpp"

namespace berth::engine {
void apply_change(ImageConfig& config, std::string_view line);
}
