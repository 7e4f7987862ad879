#pragma once
// `berth image build`: a Dockerfile executed with the embedded runtime, no daemon. Stages the
// target needs are built (independent ones in parallel threads, build_waves); each instruction
// is one step whose result is an image in the store, found again in the build cache when
// nothing it depends on changed. Only the final image gets the tags; a failed build tags
// nothing and leaves no container, mount or temporary directory (the steps that succeeded stay
// as cache, like Docker's intermediate images).
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/paths.hpp"
#include "builder/build_cancel.hpp"
#include "builder/build_progress.hpp"
#include "builder/run_network.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::builder {

struct BuildOptions {
  std::filesystem::path context;                      // the build context directory
  std::filesystem::path dockerfile;                   // empty: <context>/Dockerfile
  std::string dockerfile_name;                        // how messages name it ("Dockerfile")
  std::vector<std::string> tags;
  std::map<std::string, std::string> build_args;
  std::string target;
  bool no_cache = false;
  bool pull = false;                                  // always pull FROM images
  std::string network = "default";                    // default|none|host
  std::vector<std::string> extra_hosts;                // --add-host NAME:IP (RUN's /etc/hosts, via run_network)
  // What gives RUN steps their network (a bridge for "default"; may be null: loopback only).
  RunNetwork* run_network = nullptr;
  std::map<std::string, std::filesystem::path> secrets;  // --secret id=x,src=path
  std::map<std::string, std::filesystem::path> ssh;      // --ssh id=agent socket
  std::int64_t shm_size = 0;                          // /dev/shm of RUN steps; 0: the runtime's 64m
  BuildCancel* cancel = nullptr;                      // Ctrl-C; may be null
};

struct BuildResult {
  std::string image_id;
  std::vector<std::string> warnings;
};

// Throws ConfigError "Dockerfile:LINE: INSTRUCTION: message" for a step that fails, UserError for
// a bad option or context.
BuildResult build_image(const StatePaths& paths, const engine::RuntimeOptions& rt_options, const BuildOptions& options,
                        BuildProgress& progress);

}  // namespace berth::builder
