// One stage, one instruction at a time: substitution, the cache lookup, and the three kinds of
// step (config only, RUN in a container, COPY/ADD into a fresh directory), each ending as an
// image in the store that the next step builds on.
#include "builder/stage_builder.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "builder/copy_job.hpp"
#include "builder/instruction_expand.hpp"
#include "engine/image/layer_from_upper.hpp"
#include "engine/registry/registry.hpp"

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


}  // namespace

StageBuilder::StageBuilder(BuildShared& shared, const Stage& stage)
    : sh_(shared), st_(stage), store_(shared.paths), steps_(1 + static_cast<int>(stage.instructions.size())) {
  store_.defer_sync();
}

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

std::optional<int> StageBuilder::earlier_stage(const std::string& ref) const {
  std::string lower = ref;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& s : sh_.df.stages)
    if (s.index < st_.index && ((!s.name.empty() && s.name == lower) || std::to_string(s.index) == ref)) return s.index;
  return std::nullopt;
}

engine::Image StageBuilder::commit(const std::optional<engine::LayerBlob>& layer, const std::string& created_by) {
  engine::NewImageOptions o;
  o.config = cfg_;
  o.history.created_by = created_by;
  o.history.comment = "buildkit.dockerfile.v0";
  sh_.wrote = true;
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
    if (!cfg_.shell.empty()) shell_.shell = cfg_.shell;
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
    if (k == "run") {
      // As in BuildKit's exec op, the build's network mode and extra hosts are part of a RUN's
      // key (only when set: the keys of existing cache entries stay what they were).
      if (in.flag("network").empty() && !sh_.opts.network.empty() && sh_.opts.network != "default")
        parts.push_back("network=" + sh_.opts.network);
      for (const auto& h : sh_.opts.extra_hosts) parts.push_back("add-host=" + h);
    }

    // COPY/ADD: the sources are planned (and hashed) before the lookup; they are written only on a miss.
    std::unique_ptr<CopyJob> copy;
    if (k == "copy" || k == "add") {
      copy = prepare_copy(in, p);
      parts.push_back(copy_digest(copy->items, copy->req));
    }

    std::string key = BuildCache::key(parts);
    if (!sh_.opts.no_cache)
      if (auto id = sh_.cache.get(key))
        if (auto im = store_.find(*id)) {
          image_ = im;
          parent_key_ = im->id;
          cfg_ = store_.config(*im);
          if (!cfg_.shell.empty()) shell_.shell = cfg_.shell;
          if (k == "cmd") shell_.cmd_set = true;
          p.cached();
          return;
        }

    std::string created_by = history_created_by(in, shell_, k == "run" ? run_args : std::vector<std::string>{});
    if (k == "run") {
      commit(run(in, p), created_by);
    } else if (k == "copy" || k == "add") {
      commit(write_copy_layer(*copy), created_by);
    } else if (is_config_instruction(k)) {
      apply_config_instruction(cfg_, in, shell_);
      if (k == "arg" && !image_) {
        // Nothing in the image changes: no image of its own.
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

}  // namespace berth::builder
