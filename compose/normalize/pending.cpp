// Placeholders until the normalizer lands (compose/normalize/); each throws a clear error.
#include "base/error.hpp"
#include "compose/load.hpp"
#include "compose/normalize/normalize.hpp"

namespace berth::compose {

namespace {
[[noreturn]] void pending(const char* what) {
    throw UserError(std::string("compose: ") + what + " is not implemented yet");
}
}  // namespace

Project normalize(const RawProject&) { pending("normalize"); }
std::string to_json(const Project&, int) { pending("to_json"); }
std::string to_yaml(const Project&) { pending("to_yaml"); }
std::string config_hash(const Service&) { pending("config_hash"); }

}  // namespace berth::compose
