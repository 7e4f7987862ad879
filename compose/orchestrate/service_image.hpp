#pragma once
#include <string>

#include "compose/model.hpp"

namespace berth::compose::orchestrate {

// The image a service runs: `image:`, or for a service that only builds, the name compose gives
// what it builds ("<project>-<service>").
inline std::string service_image(const Project& p, const Service& s) {
  return s.image.empty() ? p.name + "-" + s.name : s.image;
}

}  // namespace berth::compose::orchestrate
