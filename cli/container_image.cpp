// berth container diff | commit | export | cp: a container's filesystem changes as lines, as a
// new image, its whole rootfs as a tar, files in and out.
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "cli/command.hpp"
#include "cli/copy_command.hpp"
#include "engine/image/image_store.hpp"
#include "engine/image/layer_from_upper.hpp"
#include "engine/image/upper_changes.hpp"
#include "engine/runtime/container_fs.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::cli {
namespace {

using engine::Runtime;

// Pauses a running container for the lifetime of the guard (a consistent upper dir to commit).
class PauseGuard {
 public:
  PauseGuard(Runtime& rt, const engine::ContainerInfo& c, bool want) : rt_(rt), id_(c.id) {
    if (want && c.state == engine::ContainerState::Running) {
      rt_.pause(id_);
      paused_ = true;
    }
  }
  ~PauseGuard() {
    if (!paused_) return;
    try {
      rt_.unpause(id_);
    } catch (const std::exception& e) {
      fmt::print(stderr, "berth: unpausing container {}: {}\n", id_.substr(0, 12), describe(e));
    }
  }
  PauseGuard(const PauseGuard&) = delete;
  PauseGuard& operator=(const PauseGuard&) = delete;

 private:
  Runtime& rt_;
  std::string id_;
  bool paused_ = false;
};

std::string join_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

struct CommitFlags {
  std::vector<std::string> args;  // CONTAINER [REPOSITORY[:TAG]]
  std::vector<std::string> changes;
  std::string message, author;
  bool pause = true;
};

// As docker commit: the image's config as the container ran it (its environment, working
// directory, user, labels and command), before the --change lines.
engine::ImageConfig committed_config(engine::ImageConfig cfg, const engine::ContainerInfo& c) {
  cfg.env.clear();  // the container's (the image's and its own), one entry per name, the last value
  for (const auto& kv : c.spec.env) {
    std::string name = kv.substr(0, kv.find('='));
    auto same = std::find_if(cfg.env.begin(), cfg.env.end(), [&](const std::string& e) { return e.substr(0, e.find('=')) == name; });
    if (same != cfg.env.end()) *same = kv;
    else cfg.env.push_back(kv);
  }
  if (!c.spec.working_dir.empty()) cfg.working_dir = c.spec.working_dir;
  cfg.user = c.spec.user;
  for (const auto& [k, v] : c.spec.labels) cfg.labels[k] = v;
  // The container keeps entrypoint + command as one argv: the image's entrypoint stays when the
  // argv starts with it (the rest is the command); otherwise the argv is the whole command.
  const auto& argv = c.spec.argv;
  const auto& ep = cfg.entrypoint;
  if (ep && !ep->empty() && argv.size() >= ep->size() && std::equal(ep->begin(), ep->end(), argv.begin())) {
    cfg.cmd = std::vector<std::string>(argv.begin() + static_cast<std::ptrdiff_t>(ep->size()), argv.end());
  } else if (!argv.empty()) {
    cfg.entrypoint.reset();
    cfg.cmd = argv;
  }
  return cfg;
}

int commit(const Context& ctx, const CommitFlags& f) {
  if (f.args.empty() || f.args.size() > 2) throw UserError("container commit: usage: CONTAINER [REPOSITORY[:TAG]]");
  Runtime rt(ctx.global.state());
  auto c = rt.inspect(f.args[0]);
  engine::ImageStore store(ctx.global.state());
  return with_context("committing container " + c.name, [&] {
    engine::Image base = store.get(c.image_id);
    engine::NewImageOptions opts;
    opts.config = committed_config(store.config(base), c);
    opts.changes = f.changes;
    opts.history.created_by = join_command(c.spec.argv);
    opts.history.comment = f.message;
    opts.history.author = f.author;
    if (f.args.size() == 2) opts.refs.push_back(f.args[1]);
    for (auto& r : opts.refs) engine::parse_reference(r);  // a bad name fails before any work
    std::optional<engine::LayerBlob> layer;
    {
      PauseGuard pause(rt, c, f.pause);
      layer = engine::store_layer_from_upper(store, c.dir / "upper");
    }
    auto im = store.add_layer_image(base, layer, opts);
    fmt::print("{}\n", im.id);
    return 0;
  });
}

int write_export(const Context& ctx, const std::string& name, const std::string& output) {
  Runtime rt(ctx.global.state());
  auto c = rt.inspect(name);
  if (output.empty() || output == "-") {
    if (::isatty(STDOUT_FILENO))
      throw UserError("container export: refusing to write a tar to a terminal; use -o FILE or redirect the output");
    engine::export_container(c, STDOUT_FILENO);
    return 0;
  }
  // Written beside the target and renamed: a failed export leaves no half tar behind.
  std::string tmp = output + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) throw_errno("open", tmp);
  try {
    engine::export_container(c, fd.get());
    if (::fsync(fd.get()) != 0) throw_errno("fsync", tmp);
    if (::rename(tmp.c_str(), output.c_str()) != 0) throw_errno("rename", tmp + " to " + output);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  return 0;
}

const CommandRegistration reg(301, {"container"}, [](CLI::App& app, Context& ctx) {
  CLI::App* c = command_group(app, "container", "Manage single containers");

  auto name = std::make_shared<std::string>();
  auto* diff = c->add_subcommand("diff", "Show the files a container added (A), changed (C) or deleted (D)");
  diff->add_option("container", *name, "Name or id")->required();
  diff->callback([&ctx, name] {
    ctx.action = [&ctx, name] {
      auto info = Runtime(ctx.global.state()).inspect(*name);
      auto changes = with_context("container " + info.name, [&] {
        return engine::upper_changes(info.dir / "upper", info.spec.lower_dirs);
      });
      for (const auto& ch : changes) fmt::print("{} {}\n", ch.kind, ch.path);
      return 0;
    };
  });

  auto cf = std::make_shared<CommitFlags>();
  auto* commit_cmd = c->add_subcommand("commit", "Create a new image from a container's changes");
  commit_cmd->add_option("args", cf->args, "CONTAINER [REPOSITORY[:TAG]]")->required();
  commit_cmd->add_option("-c,--change", cf->changes, "Apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, ...)")
      ->allow_extra_args(false);
  commit_cmd->add_option("-m,--message", cf->message, "Commit message");
  commit_cmd->add_option("-a,--author", cf->author, "Author (\"Name <email>\")");
  commit_cmd->add_option("-p,--pause", cf->pause, "Pause the container while committing (true|false)")->default_val(true);
  commit_cmd->callback([&ctx, cf] { ctx.action = [&ctx, cf] { return commit(ctx, *cf); }; });

  auto output = std::make_shared<std::string>();
  auto* exp = c->add_subcommand("export", "Write a container's filesystem as a tar archive");
  exp->add_option("container", *name, "Name or id")->required();
  exp->add_option("-o,--output", *output, "File to write (default: stdout, not a terminal)")->type_name("FILE");
  exp->callback([&ctx, name, output] { ctx.action = [&ctx, name, output] { return write_export(ctx, *name, *output); }; });

  auto cp = std::make_shared<CopyFlags>();
  auto* cp_cmd = c->add_subcommand("cp", "Copy files between a container and the host (CONTAINER:PATH, - for a tar stream)");
  cp_cmd->add_option("src", cp->src, "SRC: CONTAINER:PATH, a host path, or - (a tar on stdin)")->required();
  cp_cmd->add_option("dest", cp->dest, "DEST: CONTAINER:PATH, a host path, or - (a tar on stdout)")->required();
  cp_cmd->add_flag("-a,--archive", cp->archive, "Keep uid/gid");
  cp_cmd->add_flag("-L,--follow-link", cp->follow_link, "Follow a symlink given as SRC");
  cp_cmd->callback([&ctx, cp] {
    ctx.action = [&ctx, cp] {
      Runtime rt(ctx.global.state());
      return run_copy(*cp, [&rt](const std::string& n) { return rt.inspect(n); });
    };
  });
});

}  // namespace
}  // namespace berth::cli
