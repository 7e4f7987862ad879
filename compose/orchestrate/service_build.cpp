#include "compose/orchestrate/service_build.hpp"

#include <cstdio>
#include <filesystem>
#include <optional>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/log.hpp"
#include "builder/build_cache.hpp"
#include "builder/image_build.hpp"
#include "builder/ssh_agent_spec.hpp"
#include "builder/temp_dir.hpp"
#include "compose/orchestrate/build_network.hpp"
#include "engine/image/image_store.hpp"
#include "engine/image/layer_from_upper.hpp"

namespace berth::compose::orchestrate {
namespace fs = std::filesystem;

std::string build_service(const StatePaths& paths, const Project& p, const Service& s, const BuildFlags& flags) {
  const BuildConfig& b = *s.build;
  for (const auto& u : b.unused) log::warn("{} is not used by berth's builder; ignored", u);
  builder::BuildOptions o;
  o.context = b.context.empty() ? fs::path(p.working_dir) : fs::path(b.context);
  if (b.context.find("://") != std::string::npos || b.context.rfind("git@", 0) == 0)
    throw UserError("service " + s.name + ": build context " + b.context + " is a URL; berth builds from a directory only");
  // A dockerfile_inline is written where the builder can read it and removed whatever happens
  // (with what a killed build left, by the next one: builder/build_owner.hpp).
  std::optional<builder::TempDir> inline_dir;
  if (b.dockerfile_inline) {
    inline_dir.emplace(paths.root / "build-cache" / "tmp", "inline-");
    o.dockerfile = inline_dir->path / "Dockerfile";
    write_file_atomic(o.dockerfile, *b.dockerfile_inline);
    o.dockerfile_name = "dockerfile_inline of service " + s.name;
  } else {
    std::string df = b.dockerfile.empty() ? "Dockerfile" : b.dockerfile;
    o.dockerfile = o.context / df;
    o.dockerfile_name = (fs::path(df).is_absolute() ? fs::path(df) : o.context / df).lexically_relative(p.working_dir).string();
    if (o.dockerfile_name.empty() || o.dockerfile_name.rfind("..", 0) == 0) o.dockerfile_name = o.dockerfile.string();
  }
  for (const auto& [k, v] : b.args) {
    if (v) {
      o.build_args[k] = *v;
    } else if (auto it = p.environment.find(k); it != p.environment.end()) {
      o.build_args[k] = it->second;  // `args: [NAME]`: the value from the environment, if set
    }
  }
  for (const auto& [k, v] : flags.args) o.build_args[k] = v;
  o.target = b.target;
  o.no_cache = b.no_cache || flags.no_cache;
  o.pull = b.pull || flags.pull;
  if (!b.network.empty()) o.network = b.network;
  if (b.shm_size) o.shm_size = *b.shm_size;
  for (const auto& spec : b.ssh) {
    auto eq = spec.find('=');  // a relative socket path is the project directory's
    if (eq != std::string::npos && !fs::path(spec.substr(eq + 1)).is_absolute())
      o.ssh.insert(builder::ssh_agent_spec(spec.substr(0, eq + 1) + (fs::path(p.working_dir) / spec.substr(eq + 1)).string()));
    else
      o.ssh.insert(builder::ssh_agent_spec(spec));
  }
  for (const auto& name : b.secrets) {
    auto it = p.secrets.find(name);
    if (it == p.secrets.end() || it->second.file.empty())
      throw UserError("service " + s.name + ": build secret " + name + " is not a file secret of the project");
    o.secrets[name] = it->second.file;
  }
  // RUN steps on the build bridge; a bad extra host fails before any step.
  std::optional<BuildNetwork> network;
  o.extra_hosts = b.extra_hosts;
  with_context("service " + s.name + ": build.extra_hosts", [&] { network.emplace(paths, o.extra_hosts); });
  o.run_network = &*network;
  builder::BuildProgress progress(stderr, flags.quiet ? builder::BuildProgress::Mode::Quiet
                                          : flags.tty  ? builder::BuildProgress::Mode::Tty
                                                       : builder::BuildProgress::Mode::Plain);
  auto r = builder::build_image(paths, {}, o, progress);
  std::string id = r.image_id;
  engine::ImageStore store(paths);
  if (!b.labels.empty()) {  // on the final image only, as `docker build --label` sets them
    // A step of its own in the build cache: an unchanged rebuild gives the same image (and `up
    // --build` recreates nothing).
    std::vector<std::string> parts = {"compose build.labels", id};
    for (const auto& [k, v] : b.labels) parts.insert(parts.end(), {k, v});
    builder::BuildCache cache(paths);
    std::string key = builder::BuildCache::key(parts);
    if (auto hit = cache.get(key); hit && store.find(*hit)) {
      id = *hit;
    } else {
      engine::Image built = store.get(id);
      engine::NewImageOptions lo;
      lo.config = store.config(built);
      for (const auto& [k, v] : b.labels) lo.config->labels[k] = v;
      lo.history.created_by = "LABEL (build.labels of service " + s.name + ")";
      id = store.add_layer_image(built, std::nullopt, lo).id;
      cache.put(key, id);
    }
  }
  store.tag(id, service_image(p, s));
  for (const auto& t : b.tags) store.tag(id, t);
  return id;
}

}  // namespace berth::compose::orchestrate
