// Placeholders so code written against load.hpp links; each throws a clear error until the
// loader lands. Replace this file with the real implementation (see load.hpp).
#include "base/error.hpp"
#include "compose/load.hpp"

namespace berth::compose {

namespace {
[[noreturn]] void pending(const char* what) {
    throw UserError(std::string("compose: ") + what + " is not implemented yet");
}
}  // namespace

Project load_project(const LoadOptions&) { pending("load_project"); }
std::string to_json(const Project&, int) { pending("to_json"); }
std::string to_yaml(const Project&) { pending("to_yaml"); }
std::string config_hash(const Service&) { pending("config_hash"); }

}  // namespace berth::compose
