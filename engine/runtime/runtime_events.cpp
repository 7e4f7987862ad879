// The runtime's side of the host's event log (the monitor writes start, die and health events).
#include <nlohmann/json.hpp>

#include "engine/monitor/event_log.hpp"
#include "engine/runtime/runtime_internal.hpp"

namespace berth::engine::detail {

fs::path events_path(const StatePaths& paths) { return paths.runtime / "events.jsonl"; }

std::string event_attributes(const std::string& name, const std::string& image,
                             const std::map<std::string, std::string>& labels) {
  nlohmann::json a = labels;
  a["name"] = name;
  a["image"] = image;
  return a.dump();
}

void emit_event(const StatePaths& paths, const std::string& action, const ContainerInfo& info) {
  monitor::append_event(events_path(paths).string(), action, info.id,
                        event_attributes(info.name, info.spec.image, info.labels));
}

}  // namespace berth::engine::detail

namespace berth::engine {
std::filesystem::path Runtime::events_log() const { return detail::events_path(paths_); }
}  // namespace berth::engine
