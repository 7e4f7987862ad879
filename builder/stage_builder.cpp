// One stage, one instruction at a time: substitution, the cache lookup, and the three kinds of
// step (config only, RUN in a container, COPY/ADD into a fresh directory), each ending as an
// image in the store that the next step builds on.
#include "builder/stage_builder.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/hex.hpp"
#include "base/unique_fd.hpp"
#include "builder/build_container.hpp"
#include "builder/copy_files.hpp"
#include "builder/image_rootfs.hpp"
#include "builder/instruction_expand.hpp"
#include "builder/url_fetch.hpp"
#include "engine/image/layer_from_upper.hpp"
#include "engine/registry/registry.hpp"
#include "engine/runtime/user_lookup.hpp"

namespace berth::builder {

using nlohmann::json;

void BuildShared::warn(const std::string& w) {
  {
    std::lock_guard lock(mu);
    if (std::find(warnings.begin(), warnings.end(), w) != warnings.end()) return;
    warnings.push_back(w);
  }
  progress.warn(w);
}

namespace {

// The proxy variables BuildKit passes to RUN from --build-arg without an ARG (and keeps out of
// the cache key and the history).
bool predefined_arg(const std::string& n) {
  static const char* const names[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
                                      "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy"};
  return std::any_of(std::begin(names), std::end(names), [&](const char* x) { return n == x; });
}

// Everything of an expanded instruction that decides its result, for the cache key.
std::string step_text(const Instruction& in, const StageShell& shell) {
  json j;
  j["k"] = in.keyword;
  j["a"] = in.args;
  j["j"] = in.json;
  j["f"] = in.flags;
  j["p"] = in.pairs;
  json decls = json::array();
  for (const auto& [n, v] : in.decls) decls.push_back({n, v ? json(*v) : json(nullptr)});
  j["d"] = decls;
  json docs = json::array();
  for (const auto& h : in.heredocs) docs.push_back({h.name, h.content});
  j["h"] = docs;
  json mounts = json::array();
  for (const auto& m : in.mounts)
    mounts.push_back({m.type, m.target, m.source, m.from, m.id, m.sharing, m.mode, m.uid, m.gid, m.size, m.env, m.readonly, m.required});
  j["m"] = mounts;
  // What actually runs (or is recorded), so that the key follows how the command is derived.
  if (in.keyword == "run" || in.keyword == "cmd" || in.keyword == "entrypoint") j["argv"] = command_argv(in, shell);
  if (in.trigger) j["t"] = in.trigger->original;
  return j.dump();
}

bool all_digits(const std::string& s) { return !s.empty() && std::all_of(s.begin(), s.end(), ::isdigit); }

// A host directory removed with everything in it when the step ends.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::filesystem::path& parent, const std::string& prefix) {
    std::filesystem::create_directories(parent);
    path = parent / (prefix + random_hex(8));
    std::filesystem::create_directory(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

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

StageBuilder::StageBuilder(BuildShared& shared, const Stage& stage)
    : sh_(shared), st_(stage), store_(shared.paths), steps_(1 + static_cast<int>(stage.instructions.size())) {}

void StageBuilder::fail(const Instruction& in, const std::string& message) const {
  instruction_error(sh_.df.raw.file, in.line, in.name(), message);
}

std::string StageBuilder::title(const Instruction& in) const {
  std::string stage = st_.name;
  if (stage.empty() && st_.index + 1 != static_cast<int>(sh_.df.stages.size())) stage = "stage-" + std::to_string(st_.index);
  std::string text = in.original;
  if (text.size() > 120) text = text.substr(0, 117) + "...";
  return "[" + (stage.empty() ? "" : stage + " ") + std::to_string(step_no_) + "/" + std::to_string(steps_) + "] " + text;
}

std::optional<std::string> StageBuilder::lookup(const std::string& name) const {
  std::string prefix = name + "=";
  for (auto it = cfg_.env.rbegin(); it != cfg_.env.rend(); ++it)
    if (it->starts_with(prefix)) return it->substr(prefix.size());
  for (auto it = args_.rbegin(); it != args_.rend(); ++it)
    if (it->first == name) return it->second;
  return std::nullopt;
}

std::vector<std::string> StageBuilder::args_in_effect() const {
  std::vector<std::string> out;
  for (const auto& [n, v] : args_) {
    if (!v) continue;
    std::string prefix = n + "=";
    bool env = std::any_of(cfg_.env.begin(), cfg_.env.end(), [&](const std::string& e) { return e.starts_with(prefix); });
    if (!env) out.push_back(n + "=" + *v);
  }
  return out;
}

std::vector<std::filesystem::path> StageBuilder::layers() { return image_ ? store_.layer_dirs(*image_) : std::vector<std::filesystem::path>{}; }

engine::Image StageBuilder::commit(const std::optional<engine::LayerBlob>& layer, const std::string& created_by) {
  engine::NewImageOptions o;
  o.config = cfg_;
  o.history.created_by = created_by;
  o.history.comment = "buildkit.dockerfile.v0";
  image_ = store_.add_layer_image(image_, layer, o);
  parent_key_ = image_->id;
  return *image_;
}

std::optional<engine::Image> StageBuilder::build() {
  from();
  for (const auto& in : st_.instructions) {
    ++step_no_;
    step(in, false);
  }
  if (!image_ && config_changed_) commit(std::nullopt, "");
  return image_;
}

void StageBuilder::from() {
  const auto& in = st_.from;
  auto p = sh_.progress.start(title(in));
  try {
    if (st_.base_stage) {
      image_ = sh_.stage_image(*st_.base_stage);
    } else if (st_.base != "scratch") {
      std::optional<engine::Image> found;
      if (!sh_.opts.pull) found = store_.find(st_.base);
      if (!found) {
        engine::PullOptions po;
        po.registry.state_root = sh_.paths.root;
        po.platform = st_.platform;
        try {
          found = engine::pull_image(store_, st_.base, po, sh_.opts.cancel ? sh_.opts.cancel->flag() : nullptr).image;
        } catch (const std::exception& e) {
          fail(in, "image \"" + st_.base + "\" is not in the store and could not be pulled: " + describe(e));
        }
      }
      image_ = found;
    }
  } catch (const ConfigError& e) {
    p.error(e.message());
    throw;
  }
  if (image_) {
    cfg_ = store_.config(*image_);
    parent_key_ = image_->id;
  } else {
    parent_key_ = "scratch";
  }
  p.done();
  // The base's ONBUILD triggers run first, then leave the config (Docker does not inherit them).
  if (!cfg_.onbuild.empty()) {
    auto triggers = std::move(cfg_.onbuild);
    cfg_.onbuild.clear();
    for (const auto& t : triggers) {
      Dockerfile one;
      try {
        one = load_dockerfile("FROM scratch\n" + t + "\n", sh_.df.raw.file);
      } catch (const std::exception& e) {
        fail(in, "bad ONBUILD trigger \"" + t + "\" in the base image: " + e.what());
      }
      if (one.stages.at(0).instructions.empty()) continue;
      Instruction trig = one.stages[0].instructions[0];
      trig.line = in.line;
      trig.end_line = in.end_line;
      step(trig, true);
    }
  }
}

void StageBuilder::step(const Instruction& raw, bool trigger) {
  const auto& file = sh_.df.raw.file;
  VarLookup vars = [this](const std::string& n) { return lookup(n); };
  auto ex = expand_instruction(raw, vars, sh_.df.raw.escape, file);
  for (const auto& v : ex.unset)
    sh_.warn(file.str() + ":" + std::to_string(raw.line) + ": " + raw.name() + " uses \"" + v + "\", which is not set");
  Instruction in = std::move(ex.instruction);
  const auto& k = in.keyword;
  if (sh_.opts.cancel) sh_.opts.cancel->check();
  auto p = sh_.progress.start((trigger ? "[ONBUILD] " : "") + title(raw));

  if (k == "arg") {
    for (const auto& [name, def] : in.decls) {
      std::optional<std::string> v;
      auto given = sh_.opts.build_args.find(name);
      if (given != sh_.opts.build_args.end()) {
        v = given->second;
        std::lock_guard lock(sh_.mu);
        sh_.used_args.insert(name);
      } else if (def) {
        v = *def;
      } else if (auto m = sh_.df.meta_args.find(name); m != sh_.df.meta_args.end()) {
        v = m->second;  // an ARG without a value in a stage takes the global one
      }
      std::erase_if(args_, [&](const auto& a) { return a.first == name; });
      args_.emplace_back(name, v);
    }
  }

  try {
    std::vector<std::string> run_args = args_in_effect();
    std::vector<std::string> parts{parent_key_, step_text(in, shell_)};
    parts.insert(parts.end(), run_args.begin(), run_args.end());

    // COPY/ADD: the sources are planned (and hashed) before the lookup; they are written only on a miss.
    std::function<std::optional<engine::LayerBlob>()> copy_write;
    std::unique_ptr<MountedRootfs> from_root;
    std::unique_ptr<TempDir> heredoc_dir;
    UniqueFd source_fd;
    SourceRoot src;
    CopyRequest req;
    std::vector<CopyItem> items;
    std::vector<std::filesystem::path> base_layers;
    ImagePathStat image_stat;
    if (k == "copy" || k == "add") {
      base_layers = layers();
      image_stat = [&base_layers](const std::string& path) { return stat_in_layers(base_layers, path); };
      std::string from = in.flag("from");
      auto is_url = [](const std::string& a) { return a.starts_with("http://") || a.starts_with("https://"); };
      bool urls = k == "add" && std::any_of(in.args.begin(), in.args.end() - 1, is_url);
      if (urls) {
        // Remote sources are downloaded into a directory of their own, the step's source root;
        // their digest then keys the cache like any copied file's.
        if (!std::all_of(in.args.begin(), in.args.end() - 1, is_url))
          throw UserError("ADD cannot mix URLs and local sources in one instruction");
        heredoc_dir = std::make_unique<TempDir>(sh_.scratch, "url-");
        for (auto& a : in.args)
          if (&a != &in.args.back()) {
            std::string name = url_file_name(a);
            if (name.empty()) throw UserError("cannot tell a file name from " + a + " (name the destination file)");
            p.output("fetching " + a + "\n");
            fetch_url(a, heredoc_dir->path / name);
            a = name;
          }
        source_fd.reset(::open(heredoc_dir->path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        src = SourceRoot{source_fd.get(), nullptr, false, "download"};
      } else if (!in.heredocs.empty()) {
        heredoc_dir = std::make_unique<TempDir>(sh_.scratch, "heredoc-");
        for (const auto& h : in.heredocs) write_file_atomic(heredoc_dir->path / h.name, h.content, 0644, Sync::No);
        source_fd.reset(::open(heredoc_dir->path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        src = SourceRoot{source_fd.get(), nullptr, false, "heredoc"};
      } else if (!from.empty()) {
        std::optional<engine::Image> im;
        std::string what;
        std::optional<int> stage;
        for (const auto& s : sh_.df.stages)
          if (s.index < st_.index && (s.name == from || (all_digits(from) && std::to_string(s.index) == from))) stage = s.index;
        if (stage) {
          im = sh_.stage_image(*stage);
          what = "stage " + from;
        } else {
          im = store_.find(from);
          if (!im) {
            engine::PullOptions po;
            po.registry.state_root = sh_.paths.root;
            im = engine::pull_image(store_, from, po).image;
          }
          what = "image " + from;
        }
        from_root = std::make_unique<MountedRootfs>(im ? store_.layer_dirs(*im) : std::vector<std::filesystem::path>{}, sh_.scratch);
        source_fd.reset(::open(from_root->path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        src = SourceRoot{source_fd.get(), nullptr, true, what};
      } else {
        src = SourceRoot{sh_.context_fd, &sh_.ignore, false, "build context"};
      }
      if (!source_fd && src.fd != sh_.context_fd) throw_errno("open", src.what);

      req.sources.assign(in.args.begin(), in.args.end() - 1);
      for (auto& s : req.sources)
        if (s.starts_with("<<")) {
          s.erase(0, 2);
          if (!s.empty() && s[0] == '-') s.erase(0, 1);
          std::erase_if(s, [](char c) { return c == '"' || c == '\''; });
        }
      std::string dest = in.args.back();
      // "dir/", "." and "dir/." name a directory whether or not it exists (Docker's rule).
      bool dest_dir = dest.ends_with("/") || dest == "." || dest.ends_with("/.");
      req.dest = resolve_in_layers(base_layers, join_workdir(cfg_.working_dir, dest), dest_dir) + (dest_dir ? "/" : "");
      req.extract_archives = k == "add" && !urls;  // a download is not unpacked (Docker's rule)
      if (auto chown = in.flag("chown"); !chown.empty()) {
        auto colon = chown.find(':');
        std::string u = chown.substr(0, colon), g = colon == std::string::npos ? "" : chown.substr(colon + 1);
        if (all_digits(u) && (g.empty() || all_digits(g))) {
          req.uid = static_cast<uid_t>(std::stoul(u));
          req.gid = static_cast<gid_t>(g.empty() ? *req.uid : std::stoul(g));
        } else {
          auto eu = engine::resolve_user(chown, read_in_layers(base_layers, "etc/passwd"), read_in_layers(base_layers, "etc/group"));
          req.uid = eu.uid;
          req.gid = eu.gid;
        }
      }
      if (auto chmod = in.flag("chmod"); !chmod.empty()) {
        std::size_t used = 0;
        unsigned long m = 0;
        try {
          m = std::stoul(chmod, &used, 8);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != chmod.size() || m > 07777) throw UserError("invalid --chmod \"" + chmod + "\" (an octal mode, 0644)");
        req.chmod = static_cast<mode_t>(m);
      }
      items = plan_copy(src, req, image_stat);
      parts.push_back(copy_digest(items, req));
      copy_write = [&]() -> std::optional<engine::LayerBlob> {
        TempDir out(sh_.scratch, "copy-");
        write_copy(src, items, req, out.path, image_stat);
        return engine::store_layer_from_upper(store_, out.path);
      };
    }

    std::string key = BuildCache::key(parts);
    if (!sh_.opts.no_cache)
      if (auto id = sh_.cache.get(key))
        if (auto im = store_.find(*id)) {
          image_ = im;
          parent_key_ = im->id;
          cfg_ = store_.config(*im);
          if (k == "shell") shell_.shell = in.args;
          if (k == "cmd") shell_.cmd_set = true;
          p.cached();
          return;
        }

    std::string created_by = history_created_by(in, shell_, k == "run" ? run_args : std::vector<std::string>{});
    if (k == "run") {
      commit(run(in, p), created_by);
    } else if (k == "copy" || k == "add") {
      commit(copy_write(), created_by);
    } else if (is_config_instruction(k)) {
      apply_config_instruction(cfg_, in, shell_);
      if (k == "shell" || (k == "arg" && !image_)) {
        // Nothing in the image changes: no image of its own (SHELL lives in the stage state).
        p.done();
        return;
      }
      config_changed_ = true;
      commit(std::nullopt, created_by);
    } else {
      fail(in, "unknown instruction");
    }
    sh_.cache.put(key, image_->id);
    p.done();
  } catch (const ConfigError& e) {
    p.error(e.message());
    throw;
  } catch (const std::exception& e) {
    if (sh_.opts.cancel && sh_.opts.cancel->cancelled()) {
      p.error("cancelled");
      sh_.opts.cancel->check();
    }
    std::string m = describe(e);
    p.error(m);
    fail(in, m);
  }
}

std::optional<engine::LayerBlob> StageBuilder::run(const Instruction& in, BuildProgress::Step& progress) {
  engine::Runtime rt(sh_.paths, sh_.rt_options);
  engine::ContainerSpec spec;
  spec.name = "berth-build-" + random_hex(6);
  spec.labels = {{"berth.build.step", sh_.df.raw.file.str() + ":" + std::to_string(in.line)}};
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
        bool staged = false;
        for (const auto& s : sh_.df.stages)
          if (s.index < st_.index && (s.name == m.from || std::to_string(s.index) == m.from)) {
            im = sh_.stage_image(s.index);
            staged = true;
          }
        if (!staged) im = store_.get(m.from);
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
