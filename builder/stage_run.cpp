// A RUN step: its container (the stage's layers, environment, user, working directory, network
// and --mount list), its output streamed, its upper directory made a layer.
#include <sys/stat.h>

#include <algorithm>

#include "base/error.hpp"
#include "base/hex.hpp"
#include "builder/build_container.hpp"
#include "builder/build_owner.hpp"
#include "builder/image_rootfs.hpp"
#include "builder/run_mounts.hpp"
#include "builder/run_network.hpp"
#include "builder/stage_builder.hpp"
#include "engine/image/layer_from_upper.hpp"

namespace berth::builder {
namespace {

// The proxy variables BuildKit passes to RUN from --build-arg without an ARG (and keeps out of
// the cache key and the history).
bool predefined_arg(const std::string& n) {
  static const char* const names[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
                                      "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy"};
  return std::any_of(std::begin(names), std::end(names), [&](const char* x) { return n == x; });
}

}  // namespace

std::optional<engine::LayerBlob> StageBuilder::run(const Instruction& in, BuildProgress::Step& progress) {
  engine::Runtime rt(sh_.paths, sh_.rt_options);
  engine::ContainerSpec spec;
  spec.name = "berth-build-" + random_hex(6);
  spec.labels = {{"berth.build.step", sh_.df.raw.file.str() + ":" + std::to_string(in.line)},
                 {"berth.build.owner", owner_tag()}};
  if (image_) spec.image_id = image_->id;
  spec.image = st_.base;
  spec.lower_dirs = layers();
  spec.argv = command_argv(in, shell_);
  spec.env = cfg_.env;
  for (const auto& a : args_in_effect()) spec.env.push_back(a);
  for (const auto& [n, v] : sh_.opts.build_args)
    if (predefined_arg(n)) spec.env.push_back(n + "=" + v);
  spec.working_dir = cfg_.working_dir.empty() ? "/" : cfg_.working_dir;
  spec.user = cfg_.user;
  if (sh_.opts.shm_size > 0) spec.shm_size = sh_.opts.shm_size;
  spec.volatile_rootfs = true;  // its upper dir becomes a layer at once, or is dropped
  // host shares the host's network; otherwise the step gets a namespace of its own, which the
  // caller's RunNetwork joins to the build bridge (default) once the container exists, or which
  // keeps loopback only (none, or no RunNetwork given).
  std::string net = in.flag("network").empty() ? sh_.opts.network : in.flag("network");
  auto mode = net == "host" ? RunNetworkMode::Host : net == "none" ? RunNetworkMode::None : RunNetworkMode::Default;
  RunNetwork* network = sh_.opts.run_network;
  spec.network.kind = mode == RunNetworkMode::Host                ? engine::NetworkMode::Kind::Host
                      : mode == RunNetworkMode::Default && network ? engine::NetworkMode::Kind::New
                                                                   : engine::NetworkMode::Kind::None;
  if (network) spec.resolv_conf = network->resolv_conf(mode);

  RunMountHold mounts;  // outlives the container (declared first)
  run_mounts(in, spec, mounts);

  BuildContainer c(rt, spec, sh_.opts.cancel);
  // Declared after the container: detached (veth deleted, address released) before it goes.
  // Without a bridge or extra hosts there is nothing to join (and no record to read).
  std::unique_ptr<RunNetwork::Lease> lease;
  if (network && (mode == RunNetworkMode::Default || !sh_.opts.extra_hosts.empty()))
    lease = network->join(rt, rt.inspect(spec.name), mode);
  int rc = c.run([&](const std::string& s) { progress.output(s); });
  if (rc != 0) {
    std::string cmd;
    for (const auto& a : spec.argv) cmd += (cmd.empty() ? "" : " ") + a;
    if (auto nl = cmd.find('\n'); nl != std::string::npos) cmd = cmd.substr(0, nl) + " ...";  // one line
    fail(in, "process \"" + cmd + "\" did not complete successfully: exit code: " + std::to_string(rc));
  }
  // The mount points the runtime made for the step's mounts are not part of the image.
  auto lowers = spec.lower_dirs;
  for (const auto& t : mounts.targets) {
    for (std::filesystem::path rel = std::filesystem::path(t).relative_path(); !rel.empty(); rel = rel.parent_path()) {
      if (stat_in_layers(lowers, rel.string())) break;
      std::error_code ec;
      auto p = c.upper() / rel;
      struct stat st;
      if (::lstat(p.c_str(), &st) != 0) continue;
      bool empty = S_ISDIR(st.st_mode) ? std::filesystem::is_empty(p, ec) : (S_ISREG(st.st_mode) && st.st_size == 0);
      if (!empty || !std::filesystem::remove(p, ec)) break;
    }
  }
  return engine::store_layer_from_upper(store_, c.upper());
}

}  // namespace berth::builder
