#pragma once
// One stage of a build, instruction by instruction (image_build.cpp runs the stages). Internal
// to the builder.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "builder/build_cache.hpp"
#include "builder/build_progress.hpp"
#include "builder/config_instruction.hpp"
#include "builder/dockerfile_stages.hpp"
#include "builder/dockerignore.hpp"
#include "builder/image_build.hpp"
#include "engine/image/image_store.hpp"

namespace berth::builder {

struct CopyJob;
struct RunMountHold;

// What every stage of one build shares (read-only but for the marked parts).
struct BuildShared {
  const Dockerfile& df;
  const BuildOptions& opts;
  StatePaths paths;
  engine::RuntimeOptions rt_options;
  int context_fd = -1;
  const DockerIgnore& ignore;
  BuildProgress& progress;
  BuildCache& cache;
  std::filesystem::path scratch;  // <root>/build-cache/tmp: staging dirs and mount points
  // The image each finished stage produced (nullopt: an empty scratch stage).
  std::function<std::optional<engine::Image>(int stage)> stage_image;

  std::mutex mu;                         // guards the two below
  std::set<std::string> used_args;       // build args some ARG consumed
  std::vector<std::string> warnings;
  void warn(const std::string& w);

  // Some step stored a layer or an image: the stages' stores defer their fsyncs (a build step's
  // image is rebuilt if lost), and the build syncs the store once before it tags the result.
  std::atomic<bool> wrote{false};
};

class StageBuilder {
 public:
  StageBuilder(BuildShared& shared, const Stage& stage);
  // Runs the stage; returns its image (nullopt for a scratch stage with no layer and no config).
  std::optional<engine::Image> build();

 private:
  void from();
  void step(const Instruction& in, bool trigger);
  std::optional<std::string> lookup(const std::string& name) const;
  std::vector<std::string> args_in_effect() const;
  std::string title(const Instruction& in) const;
  std::vector<std::filesystem::path> layers();
  // The earlier stage `ref` names (its name, any case, or its index), as --from and
  // --mount=from mean it; nullopt: an image.
  std::optional<int> earlier_stage(const std::string& ref) const;

  engine::Image commit(const std::optional<engine::LayerBlob>& layer, const std::string& created_by);
  std::optional<engine::LayerBlob> run(const Instruction& in, BuildProgress::Step& progress);  // stage_run.cpp
  // The RUN's --mount list added to `spec`; what the mounts need is held in `hold` (stage_run_mounts.cpp).
  void run_mounts(const Instruction& in, engine::ContainerSpec& spec, RunMountHold& hold);
  // COPY/ADD (stage_copy.cpp): sources opened (URLs downloaded) and planned.
  std::unique_ptr<CopyJob> prepare_copy(const Instruction& in, BuildProgress::Step& progress);
  std::optional<engine::LayerBlob> write_copy_layer(CopyJob& job);

  [[noreturn]] void fail(const Instruction& in, const std::string& message) const;

  BuildShared& sh_;
  const Stage& st_;
  engine::ImageStore store_;
  std::optional<engine::Image> image_;
  engine::ImageConfig cfg_;
  StageShell shell_;
  std::vector<std::pair<std::string, std::optional<std::string>>> args_;  // this stage's ARGs
  std::string parent_key_;  // the current image id, "scratch" before any step
  int step_no_ = 1, steps_ = 1;
  bool config_changed_ = false;  // scratch stage: something was set
};

}  // namespace berth::builder
