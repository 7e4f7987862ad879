// Placeholder: validation lands in the next commit. Accepts every document.
#include "schema/validate.hpp"

namespace berth::schema {

std::vector<Violation> validate(const nlohmann::json&) { return {}; }

}  // namespace berth::schema
