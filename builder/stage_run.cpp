// A RUN step: its container (the stage's layers, environment, user, working directory, network
// and --mount list), its output streamed, its upper directory made a layer.
#include <sys/stat.h>

#include <algorithm>

#include "base/error.hpp"
#include "base/hex.hpp"
#include "builder/build_container.hpp"
#include "builder/build_owner.hpp"
#include "builder/image_rootfs.hpp"
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

// `sub` inside `root` after resolving symlinks (a bind mount source must not leave its root).
std::filesystem::path inside(const std::filesystem::path& root, const std::string& sub, const std::string& what) {
  auto r = std::filesystem::canonical(root);
  std::error_code ec;
  auto p = std::filesystem::weakly_canonical(r / std::filesystem::path(sub).relative_path(), ec);
  if (ec || !std::filesystem::exists(p)) throw UserError("mount source " + sub + " not found in the " + what);
  auto rel = p.lexically_relative(r);
  if (rel.empty() || *rel.begin() == "..") throw UserError("mount source " + sub + " is outside the " + what);
  return p;
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
  spec.volatile_rootfs = true;  // its upper dir becomes a layer at once, or is dropped
  // Without the network layer (which the builder does not link) a RUN gets a loopback-only
  // namespace by default; --network host shares the host's.
  std::string net = in.flag("network").empty() ? sh_.opts.network : in.flag("network");
  spec.network.kind = net == "host" ? engine::NetworkMode::Kind::Host : engine::NetworkMode::Kind::None;

  std::vector<std::unique_ptr<MountedRootfs>> roots;  // outlive the container (declared first)
  std::vector<std::string> targets;
  for (const auto& m : in.mounts) {
    engine::MountSpec ms;
    ms.target = m.target;
    if (m.type == "cache") {
      std::string id = m.id.empty() ? m.target : m.id;
      auto dir = sh_.cache.mount_dir(id);
      if (!m.uid.empty() || !m.gid.empty())
        if (::chown(dir.c_str(), m.uid.empty() ? 0 : std::stoul(m.uid), m.gid.empty() ? 0 : std::stoul(m.gid)) != 0)
          throw_errno("chown", dir.string());
      if (!m.mode.empty() && ::chmod(dir.c_str(), static_cast<mode_t>(std::stoul(m.mode, nullptr, 8))) != 0)
        throw_errno("chmod", dir.string());
      ms.source = dir.string();
      ms.read_only = false;
    } else if (m.type == "tmpfs") {
      ms.type = engine::MountSpec::Type::Tmpfs;
      if (!m.size.empty()) ms.options.push_back("size=" + m.size);
    } else if (m.type == "bind") {
      std::string source = m.source.empty() ? "." : m.source;
      if (m.from.empty()) {
        ms.source = inside(sh_.opts.context, source, "build context").string();
      } else {
        std::optional<engine::Image> im;
        if (auto stage = earlier_stage(m.from)) im = sh_.stage_image(*stage);
        else im = store_.get(m.from);
        roots.push_back(std::make_unique<MountedRootfs>(im ? store_.layer_dirs(*im) : std::vector<std::filesystem::path>{}, sh_.scratch));
        ms.source = inside(roots.back()->path(), source, "mount source " + m.from).string();
      }
      // Writes to a bind mount must not reach the context (BuildKit discards them): read-only.
      ms.read_only = true;
      ms.create_host_path = false;
    } else if (m.type == "secret") {
      std::string id = m.id.empty() ? std::filesystem::path(m.target).filename().string() : m.id;
      auto s = sh_.opts.secrets.find(id);
      if (s == sh_.opts.secrets.end()) {
        if (m.required) fail(in, "secret " + id + " not found (give it with --secret id=" + id + ",src=PATH)");
        continue;
      }
      ms.source = s->second.string();
      if (ms.target.empty()) ms.target = "/run/secrets/" + id;
      ms.read_only = true;
      ms.create_host_path = false;
    } else {
      fail(in, "RUN --mount=type=" + m.type + " is not supported");
    }
    if (!ms.target.starts_with("/")) ms.target = join_workdir(spec.working_dir, ms.target);
    targets.push_back(ms.target);
    spec.mounts.push_back(std::move(ms));
  }

  BuildContainer c(rt, spec, sh_.opts.cancel);
  int rc = c.run([&](const std::string& s) { progress.output(s); });
  if (rc != 0) {
    std::string cmd;
    for (const auto& a : spec.argv) cmd += (cmd.empty() ? "" : " ") + a;
    if (auto nl = cmd.find('\n'); nl != std::string::npos) cmd = cmd.substr(0, nl) + " ...";  // one line
    fail(in, "process \"" + cmd + "\" did not complete successfully: exit code: " + std::to_string(rc));
  }
  // The mount points the runtime made for the step's mounts are not part of the image.
  auto lowers = spec.lower_dirs;
  for (const auto& t : targets) {
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
