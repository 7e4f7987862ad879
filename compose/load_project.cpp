// load_project: compose/load/ (files -> RawProject) then compose/normalize/ (RawProject -> Project).
// Placeholder until the loader lands.
#include "base/error.hpp"
#include "compose/load.hpp"

namespace berth::compose {

Project load_project(const LoadOptions&) { throw UserError("compose: load_project is not implemented yet"); }

}  // namespace berth::compose
