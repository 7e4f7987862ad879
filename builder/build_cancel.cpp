#include "builder/build_cancel.hpp"

#include <csignal>

#include "base/error.hpp"
#include "base/log.hpp"

namespace berth::builder {

void BuildCancel::cancel() {
  flag_ = true;
  std::lock_guard lock(mu_);
  for (const auto& [id, rt] : running_) try {
      rt->kill(id, SIGKILL);
    } catch (const std::exception& e) {
      log::debug("cancel: kill {}: {}", id, e.what());
    }
}

void BuildCancel::check() const {
  if (flag_) throw UserError("build cancelled", 130);
}

void BuildCancel::enter(engine::Runtime& rt, const std::string& id) {
  std::lock_guard lock(mu_);
  running_[id] = &rt;
}

void BuildCancel::leave(const std::string& id) {
  std::lock_guard lock(mu_);
  running_.erase(id);
}

}  // namespace berth::builder
