// `ports:` and `volumes:` of a service, short and long syntax, into the model's one form.
#pragma once

#include <vector>

#include "compose/model.hpp"
#include "compose/tree.hpp"

namespace berth::compose::norm {

std::vector<ServicePort> ports(const Node& n, const std::string& path);
// Short form: a source that is not a path names a project volume ("" source = anonymous).
std::vector<ServiceVolume> volumes(const Node& n, const std::string& path);

}  // namespace berth::compose::norm
