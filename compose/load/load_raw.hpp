// Files -> RawProject (see compose/raw_project.hpp for what it holds).
#pragma once

#include "compose/load.hpp"
#include "compose/raw_project.hpp"

namespace berth::compose::load {

RawProject load_raw(const LoadOptions& opts);

}  // namespace berth::compose::load
