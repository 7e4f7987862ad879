#pragma once
// `container cp` and compose `cp`: the argument grammar (CONTAINER:PATH, "-" for a tar on
// stdin/stdout) and the copy itself, with how a name becomes a container left to the caller.
#include <functional>
#include <string>

#include "engine/runtime/runtime.hpp"

namespace berth::cli {

struct CopyFlags {
  std::string src, dest;
  bool archive = false;      // -a
  bool follow_link = false;  // -L
};

// `find` turns the part before ':' into a container (throwing UserError naming it when none).
int run_copy(const CopyFlags& f, const std::function<engine::ContainerInfo(const std::string&)>& find);

}  // namespace berth::cli
