#pragma once
// The host's container event log (`berth events`): one JSON object per line, appended with
// O_APPEND by the runtime (create, stop, kill, pause, unpause, destroy) and by each monitor (start,
// die, health_status), so lines from several processes never interleave. Built into the static
// monitor too: no exceptions, no allocation beyond std::string.
//   {"time":"<RFC 3339 nano>","type":"container","action":"die","id":"<id>",
//    "attributes":{"name":"p-web-1","image":"...",<labels>,"exitCode":"0"}}
// The file is rotated to events.jsonl.1 past kEventLogMaxBytes; readers follow the path.
#include <string>

namespace berth::monitor {

inline constexpr long kEventLogMaxBytes = 4 << 20;

// attributes: a JSON object ("{...}", at least one member); extra: members to add to it
// (`"exitCode":"0"`) or empty. Errors are ignored: events are informational.
void append_event(const std::string& path, const std::string& action, const std::string& id,
                  const std::string& attributes, const std::string& extra = "");

}  // namespace berth::monitor
