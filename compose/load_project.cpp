// load_project: compose/load/ (files -> RawProject) then compose/normalize/ (RawProject -> Project).
#include "compose/load.hpp"
#include "compose/load/load_raw.hpp"
#include "compose/normalize/normalize.hpp"

namespace berth::compose {

Project load_project(const LoadOptions& opts) { return normalize(load::load_raw(opts)); }

}  // namespace berth::compose
