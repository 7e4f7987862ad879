// load_project: compose/load/ (files -> RawProject) then compose/normalize/ (RawProject -> Project).
#include "compose/load.hpp"
#include "compose/load/load_raw.hpp"
#include "compose/normalize/normalize.hpp"

namespace berth::compose {

Project load_project(const LoadOptions& opts) {
    Project p = normalize(load::load_raw(opts));
    p.interpolated = opts.interpolate;
    return p;
}

}  // namespace berth::compose
