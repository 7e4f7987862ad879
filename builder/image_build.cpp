// The build as a whole: Dockerfile and context, the stages the target needs built wave by wave
// (the stages of a wave in parallel threads), then the tags on the final image.
#include "builder/image_build.hpp"

#include <fcntl.h>

#include <exception>
#include <thread>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/unique_fd.hpp"
#include "builder/build_owner.hpp"
#include "builder/stage_builder.hpp"
#include "engine/image/layer_from_upper.hpp"

namespace berth::builder {

BuildResult build_image(const StatePaths& paths, const engine::RuntimeOptions& rt_options, const BuildOptions& opts,
                        BuildProgress& progress) {
  std::error_code ec;
  if (!std::filesystem::is_directory(opts.context, ec))
    throw UserError("unable to prepare context: path \"" + opts.context.string() + "\" not found");
  auto file = (opts.dockerfile.empty() ? opts.context / "Dockerfile" : opts.dockerfile).lexically_normal();
  std::string name = opts.dockerfile_name.empty() ? file.filename().string() : opts.dockerfile_name;
  auto text = try_read_file(file);
  if (!text) throw UserError("failed to read dockerfile: open " + file.string() + ": no such file or directory");
  for (const auto& t : opts.tags) engine::parse_reference(t);  // a bad tag fails before any step

  Dockerfile df = load_dockerfile(*text, name, opts.build_args);
  DockerIgnore ignore;
  // BuildKit's rule: "<Dockerfile>.dockerignore" beside the Dockerfile wins over the context's.
  auto own = file;
  own += ".dockerignore";
  if (auto di = try_read_file(own)) ignore = DockerIgnore::parse(*di, own.filename().string());
  else if (auto di = try_read_file(opts.context / ".dockerignore")) ignore = DockerIgnore::parse(*di, ".dockerignore");
  int target = resolve_target(df, opts.target);
  auto waves = build_waves(df, stages_needed(df, target));

  UniqueFd context_fd(::open(opts.context.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!context_fd) throw_errno("open", opts.context.string());
  BuildCache cache(paths);
  sweep_orphans(paths, paths.root / "build-cache" / "tmp");
  std::map<int, std::optional<engine::Image>> built;
  std::mutex built_mu;
  BuildShared sh{df, opts, paths, rt_options, context_fd.get(), ignore, progress, cache, paths.root / "build-cache" / "tmp", {}, {}, {}, {}};
  sh.stage_image = [&](int stage) {
    std::lock_guard lock(built_mu);
    return built.at(stage);
  };
  for (const auto& w : df.warnings) sh.warn(w);

  for (const auto& wave : waves) {
    std::vector<std::exception_ptr> errors(wave.size());
    auto one = [&](std::size_t i) {
      try {
        StageBuilder b(sh, df.stages[wave[i]]);
        auto im = b.build();
        std::lock_guard lock(built_mu);
        built[wave[i]] = im;
      } catch (...) {
        errors[i] = std::current_exception();
      }
    };
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < wave.size(); ++i) threads.emplace_back(one, i);
    one(0);
    for (auto& t : threads) t.join();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }

  engine::ImageStore store(paths);
  auto final_image = built.at(target);
  if (!final_image) {  // FROM scratch and nothing else: an empty image, as Docker makes
    engine::NewImageOptions o;
    o.config = engine::ImageConfig{};
    o.history.created_by = "FROM scratch";
    final_image = store.add_layer_image(std::nullopt, std::nullopt, o);
  }
  if (sh.wrote) store.sync();  // what the steps stored deferred (stage_builder.hpp), once
  for (const auto& t : opts.tags) store.tag(final_image->id, t);

  for (const auto& [arg, value] : opts.build_args) {
    (void)value;
    bool global = df.meta_args.count(arg) != 0;
    bool predefined = arg.find("_PROXY") != std::string::npos || arg.find("_proxy") != std::string::npos;
    if (!global && !predefined && !sh.used_args.count(arg)) sh.warn("build argument \"" + arg + "\" was not consumed by any ARG");
  }
  return BuildResult{final_image->id, sh.warnings};
}

}  // namespace berth::builder
