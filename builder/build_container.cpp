#include "builder/build_container.hpp"

#include "base/error.hpp"
#include "base/log.hpp"

namespace berth::builder {

BuildContainer::BuildContainer(engine::Runtime& rt, const engine::ContainerSpec& spec) : rt_(rt) {
  id_ = rt_.create(spec);
  dir_ = rt_.inspect(id_).dir;
}

BuildContainer::~BuildContainer() {
  try {
    rt_.remove(id_, true);
  } catch (const std::exception& e) {
    log::warn("removing build container {}: {}", id_.substr(0, 12), e.what());
  }
}

int BuildContainer::run(const std::function<void(const std::string&)>& output) {
  try {
    rt_.start(id_);
  } catch (const UserError& e) {
    // The command could not be executed (127/126): what it would have printed.
    output(std::string(e.what()) + "\n");
    return e.exit_code();
  }
  engine::LogsOptions o;
  o.follow = true;
  rt_.logs(id_, o, [&](const engine::LogEntry& e) { output(e.line); });
  return rt_.wait(id_);
}

std::filesystem::path BuildContainer::upper() const { return dir_ / "upper"; }

}  // namespace berth::builder
