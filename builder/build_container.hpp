#pragma once
// The container a RUN step runs in: created from the step's base layers with the embedded
// runtime, its output streamed to the caller, and always removed again (with its state dir,
// network namespace, cgroup and mounts) when this object goes, also when the step fails. What
// the command wrote stays in the overlay upper dir until then, for the layer to be made from it.
#include <filesystem>
#include <functional>
#include <string>

#include "builder/build_cancel.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::builder {

class BuildContainer {
 public:
  // `cancel` (may be null) kills the container when the build is cancelled.
  BuildContainer(engine::Runtime& rt, const engine::ContainerSpec& spec, BuildCancel* cancel);
  ~BuildContainer();
  BuildContainer(const BuildContainer&) = delete;
  BuildContainer& operator=(const BuildContainer&) = delete;

  // Starts the command and returns its exit code once it ended; `output` gets its stdout and
  // stderr as they come.
  int run(const std::function<void(const std::string&)>& output);
  // The overlay upper directory: what the command changed.
  std::filesystem::path upper() const;

 private:
  engine::Runtime& rt_;
  BuildCancel* cancel_;
  std::string id_;
  std::filesystem::path dir_;
};

}  // namespace berth::builder
