#include "builder/config_instruction.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "builder/dockerignore.hpp"

namespace berth::builder {
namespace {

void set_env(std::vector<std::string>& env, const std::string& key, const std::string& value) {
  std::string prefix = key + "=";
  for (auto& e : env)
    if (e.starts_with(prefix)) {
      e = prefix + value;
      return;
    }
  env.push_back(prefix + value);
}

void add_sorted(std::vector<std::string>& v, const std::string& item) {
  if (std::find(v.begin(), v.end(), item) == v.end()) v.push_back(item);
  std::sort(v.begin(), v.end());
}

// The text of an instruction without its keyword, as history shows it.
std::string rest_of(const Instruction& in) {
  auto& o = in.original;
  auto sp = o.find_first_of(" \t");
  if (sp == std::string::npos) return {};
  return o.substr(o.find_first_not_of(" \t", sp));
}

}  // namespace

bool is_config_instruction(const std::string& k) {
  static const char* const kinds[] = {"env",  "label",      "workdir",     "user",    "expose",     "volume", "cmd",
                                      "entrypoint", "stopsignal", "healthcheck", "onbuild", "maintainer", "shell",  "arg"};
  return std::any_of(std::begin(kinds), std::end(kinds), [&](const char* x) { return k == x; });
}

std::string join_workdir(const std::string& current, const std::string& path) {
  std::string p = path.starts_with("/") ? path : (current.empty() ? "/" : current) + "/" + path;
  std::string c = clean_path(p);
  return c.starts_with("/") ? c : "/" + c;
}

std::vector<std::string> command_argv(const Instruction& in, const StageShell& state) {
  if (in.json) return in.args;
  std::vector<std::string> argv = state.shell;
  std::string text = in.args.empty() ? std::string() : in.args[0];
  // `RUN <<EOF` alone: the body is the script (BuildKit's rule). Otherwise the heredocs are part
  // of the command for the shell, which reads them natively (`cat <<EOF > file`).
  auto first = text.find_first_not_of(" \t");
  auto last = text.find_last_not_of(" \t");
  std::string word = first == std::string::npos ? "" : text.substr(first, last - first + 1);
  if (in.heredocs.size() == 1 && word.starts_with("<<") && word.find_first_of(" \t") == std::string::npos) {
    argv.push_back(in.heredocs[0].content);
    return argv;
  }
  for (const auto& h : in.heredocs) text += "\n" + h.content + h.name;
  argv.push_back(text);
  return argv;
}

void apply_config_instruction(engine::ImageConfig& cfg, const Instruction& in, StageShell& state) {
  const auto& k = in.keyword;
  if (k == "env") {
    for (const auto& [key, value] : in.pairs) set_env(cfg.env, key, value);
  } else if (k == "label") {
    for (const auto& [key, value] : in.pairs) cfg.labels[key] = value;
  } else if (k == "workdir") {
    cfg.working_dir = join_workdir(cfg.working_dir, in.args.at(0));
  } else if (k == "user") {
    cfg.user = in.args.at(0);
  } else if (k == "expose") {
    for (auto p : in.args) {
      if (p.find('/') == std::string::npos) p += "/tcp";
      add_sorted(cfg.exposed_ports, p);
    }
  } else if (k == "volume") {
    for (const auto& v : in.args) add_sorted(cfg.volumes, v);
  } else if (k == "cmd") {
    cfg.cmd = command_argv(in, state);
    state.cmd_set = true;
  } else if (k == "entrypoint") {
    cfg.entrypoint = command_argv(in, state);
    // An ENTRYPOINT resets the CMD it inherited, not one this stage gave (Docker's rule).
    if (!state.cmd_set) cfg.cmd.reset();
  } else if (k == "stopsignal") {
    cfg.stop_signal = in.args.at(0);
  } else if (k == "healthcheck") {
    const auto& h = *in.healthcheck;
    engine::Healthcheck e;
    e.test = h.test;
    e.interval_ns = h.interval_ns;
    e.timeout_ns = h.timeout_ns;
    e.start_period_ns = h.start_period_ns;
    e.start_interval_ns = h.start_interval_ns;
    e.retries = h.retries;
    cfg.healthcheck = e;
  } else if (k == "onbuild") {
    cfg.onbuild.push_back(rest_of(in));
  } else if (k == "maintainer") {
    cfg.author = in.args.at(0);
  } else if (k == "shell") {
    state.shell = in.args;
    cfg.shell = in.args;  // in the image too, as Docker keeps it (a build FROM it starts with it)
  }
}

std::string history_created_by(const Instruction& in, const StageShell& state, const std::vector<std::string>& run_args) {
  const auto& k = in.keyword;
  std::string name = in.name();
  if (k == "run") {
    std::string s = "RUN ";
    if (!run_args.empty()) {
      s += "|" + std::to_string(run_args.size());
      for (const auto& a : run_args) s += " " + a;
      s += " ";
    }
    auto argv = command_argv(in, state);
    if (in.json) s += nlohmann::json(argv).dump();
    else
      for (std::size_t i = 0; i < argv.size(); ++i) s += (i ? " " : "") + argv[i];
    return s + " # buildkit";
  }
  if (k == "copy" || k == "add") {
    std::string s = name;
    for (const auto& [f, values] : in.flags)
      for (const auto& v : values) s += " --" + f + "=" + v;
    for (const auto& a : in.args) s += " " + a;
    return s + " # buildkit";
  }
  if (k == "cmd" || k == "entrypoint" || k == "shell") return name + " " + nlohmann::json(command_argv(in, state)).dump();
  if (k == "env" || k == "label") {
    std::string s = name;
    for (const auto& [key, value] : in.pairs) s += " " + key + "=" + value;
    return s;
  }
  if (k == "arg") {
    std::string s = name;
    for (const auto& [key, value] : in.decls) s += " " + key + (value ? "=" + *value : "");
    return s;
  }
  if (k == "workdir" || k == "user" || k == "stopsignal" || k == "expose" || k == "volume" || k == "maintainer") {
    std::string s = name;
    for (const auto& a : in.args) s += " " + a;
    return s;
  }
  return name + " " + rest_of(in);
}

}  // namespace berth::builder
