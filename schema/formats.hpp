// The custom string formats of schema/compose-spec.json ("format": "ports", "duration", ...).
// JSON Schema leaves unknown formats to the application; these follow what docker compose
// accepts (docker's nat.ParsePortSpec, Go's time.ParseDuration, docker's units.RAMInBytes).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace berth::schema {

// "8080:80", "127.0.0.1:8080:80/udp", "[::1]::80", "8000-8010:8000-8010", "3000", "9000-9005/tcp".
bool is_port_mapping(std::string_view s);
// "80", "8000-8010", "53/udp".
bool is_exposed_port(std::string_view s);
// Go durations: "30s", "1m30s", "1.5h", "500ms", "0".
bool is_duration(std::string_view s);
// "512m", "1g", "2GB", "1.5gib", "1024".
bool is_byte_size(std::string_view s);
// A port number "1".."65535" (allow_zero: "0" too).
bool is_port_number(std::string_view s, bool allow_zero = false);
// "8080" or "8000-8010" (0 allowed: random host port). Empty is allowed (not published).
bool is_published_port(std::string_view s);

// Checks `value` against the named format. Returns "" when it conforms (or the format is unknown,
// or the value is a string holding "$": left for interpolation, e.g. `config --no-interpolate`),
// else a one-line message such as `"80:80:80" is not a valid port mapping`.
std::string check_format(std::string_view format, const nlohmann::json& value);

}  // namespace berth::schema
