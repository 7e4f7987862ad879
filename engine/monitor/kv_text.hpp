#pragma once
// "key=value" lines with '\n' and '\\' escaped in values: the monitor's config and status files.
// JSON would need a library the monitor must not carry.
#include <string>
#include <utility>
#include <vector>

namespace berth::monitor {

void kv_put(std::string& out, const char* key, const std::string& value);
void kv_put(std::string& out, const char* key, long value);
std::vector<std::pair<std::string, std::string>> kv_parse(const std::string& text);
// Reads a whole (small) file; false on error (errno set).
bool read_small_file(const char* path, std::string& out);

}  // namespace berth::monitor
