// Reading scalar forms of the project file: strings, booleans, numbers, durations ("1m30s"),
// byte sizes ("512m", "1.5GB"), string-or-list, list-or-map, shell words. Each throws ConfigError
// at the node with the key path given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compose/model.hpp"
#include "compose/tree.hpp"

namespace berth::compose::norm {

std::string str(const Node& n, const std::string& path);
bool boolean(const Node& n, const std::string& path);
int64_t integer(const Node& n, const std::string& path);
double number(const Node& n, const std::string& path);
Duration duration(const Node& n, const std::string& path);
int64_t bytes(const Node& n, const std::string& path);
// A file mode: octal digits whether written 0440, 440, "0440" or 0o440 (what users mean; berth's
// `config` prints it as the string "0440" so that it reads back the same).
uint32_t file_mode(const Node& n, const std::string& path);
std::optional<int64_t> parse_bytes(const std::string& s);
std::optional<Duration> parse_duration(const std::string& s);

// Values that land in a line of a file berth writes into the container (/etc/hosts,
// /etc/resolv.conf, /etc/hostname): fails at the first scalar or key under `n` holding a control
// character, since a newline there would add lines of the writer's choosing.
void require_one_line(const Node& n, const std::string& path);
// str() and string_list() of such values.
std::string one_line(const Node& n, const std::string& path);
std::vector<std::string> one_line_list(const Node& n, const std::string& path);

// "a" -> {"a"}; ["a", "b"] -> {"a", "b"}.
std::vector<std::string> string_list(const Node& n, const std::string& path);
// ["K=V", "K"] or {K: V, K: null} -> map. `lookup` gives values of bare "K" (dropped when it returns
// nullopt); `sep` is '=' ('=' or ':' for extra_hosts).
StringMap list_or_map(const Node& n, const std::string& path, const StringMap* lookup = nullptr, bool hosts = false);
// Shell-like splitting of a command string (quotes, backslashes), as compose does.
std::vector<std::string> shell_split(const std::string& s);

}  // namespace berth::compose::norm
