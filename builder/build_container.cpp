#include "builder/build_container.hpp"

#include "base/error.hpp"
#include "base/log.hpp"

namespace berth::builder {

BuildContainer::BuildContainer(engine::Runtime& rt, const engine::ContainerSpec& spec, BuildCancel* cancel)
    : rt_(rt), cancel_(cancel) {
  id_ = rt_.create(spec);
  if (cancel_) cancel_->enter(rt_, id_);
  dir_ = rt_.paths().root / "containers" / id_;  // runtime.hpp's layout: no need to read the record back
}

BuildContainer::~BuildContainer() {
  if (cancel_) cancel_->leave(id_);
  try {
    rt_.remove(id_, true);
  } catch (const std::exception& e) {
    log::warn("removing build container {}: {}", id_.substr(0, 12), e.what());
  }
}

int BuildContainer::run(const std::function<void(const std::string&)>& output) {
  if (cancel_) cancel_->check();  // a cancel between create and enter() killed nothing
  int rc;
  try {
    rc = rt_.run_foreground(id_, output);
  } catch (const UserError& e) {
    // The command could not be executed (127/126): what it would have printed.
    output(std::string(e.what()) + "\n");
    return e.exit_code();
  }
  if (cancel_) cancel_->check();
  return rc;
}

std::filesystem::path BuildContainer::upper() const { return dir_ / "upper"; }

}  // namespace berth::builder
