// libFuzzer target for schema::validate alone: any JSON document yields violations or none,
// and every violation is one non-empty line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "schema/validate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto doc = nlohmann::json::parse(data, data + size, nullptr, false);
    if (doc.is_discarded()) return 0;
    for (const auto& v : berth::schema::validate(doc)) {
        if (v.message.empty() || v.message.find('\n') != std::string::npos) std::abort();
        (void)berth::schema::format_path(v.path);
    }
    return 0;
}
