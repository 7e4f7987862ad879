// Per-instruction checks, following the rules of BuildKit's instruction parser: which flags each
// instruction takes, argument counts, the forms SHELL and HEALTHCHECK require, ONBUILD's limits.
#include "builder/dockerfile_instructions.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "base/edit_distance.hpp"
#include "builder/go_duration.hpp"

namespace berth::builder {
namespace {

enum class FlagKind { string, strings, boolean };
using FlagSpec = std::map<std::string, FlagKind>;

const FlagSpec& flags_of(const std::string& k) {
  static const std::map<std::string, FlagSpec> table = {
      {"from", {{"platform", FlagKind::string}}},
      {"run",
       {{"mount", FlagKind::strings}, {"network", FlagKind::string}, {"security", FlagKind::string}, {"device", FlagKind::strings}}},
      {"copy",
       {{"from", FlagKind::string}, {"chown", FlagKind::string}, {"chmod", FlagKind::string}, {"link", FlagKind::boolean},
        {"parents", FlagKind::boolean}, {"exclude", FlagKind::strings}}},
      {"add",
       {{"chown", FlagKind::string}, {"chmod", FlagKind::string}, {"link", FlagKind::boolean}, {"keep-git-dir", FlagKind::boolean},
        {"checksum", FlagKind::string}, {"unpack", FlagKind::boolean}, {"exclude", FlagKind::strings}}},
      {"healthcheck",
       {{"interval", FlagKind::string}, {"timeout", FlagKind::string}, {"start-period", FlagKind::string},
        {"start-interval", FlagKind::string}, {"retries", FlagKind::string}}},
  };
  static const FlagSpec none;
  auto it = table.find(k);
  return it == table.end() ? none : it->second;
}

const std::vector<std::string>& known_instructions() {
  static const std::vector<std::string> k = {"add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from",
                                             "healthcheck", "label", "maintainer", "onbuild", "run", "shell",
                                             "stopsignal", "user", "volume", "workdir"};
  return k;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

struct Ctx {
  const SourceFile& file;
  int line;
  std::string instr;  // upper case
  [[noreturn]] void fail(const std::string& m) const { instruction_error(file, line, instr, m); }
};

std::map<std::string, std::vector<std::string>> check_flags(const Ctx& c, const std::string& keyword,
                                                            const std::vector<std::string>& given) {
  const auto& spec = flags_of(keyword);
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& f : given) {
    if (f.rfind("--", 0) != 0) c.fail("arg should start with -- : " + f);
    auto body = f.substr(2);
    auto eq = body.find('=');
    std::string name = body.substr(0, eq);
    auto it = spec.find(name);
    if (it == spec.end()) c.fail("unknown flag: --" + name);
    if (it->second != FlagKind::strings && out.count(name)) c.fail("duplicate flag specified: --" + name);
    if (it->second == FlagKind::boolean) {
      std::string v = eq == std::string::npos ? "true" : lower(body.substr(eq + 1));
      if (v.empty()) v = "true";
      if (v != "true" && v != "false") c.fail("expecting boolean value for flag --" + name + ", not: " + body.substr(eq + 1));
      out[name].push_back(v);
    } else {
      if (eq == std::string::npos) c.fail("missing a value on flag: --" + name);
      out[name].push_back(body.substr(eq + 1));
    }
  }
  return out;
}

// The CSV of --mount, with double-quoted fields allowed.
std::vector<std::string> csv_fields(const std::string& s) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == '"') {
      if (quoted && i + 1 < s.size() && s[i + 1] == '"') out.back() += s[++i];
      else quoted = !quoted;
    } else if (ch == ',' && !quoted) {
      out.emplace_back();
    } else {
      out.back() += ch;
    }
  }
  return out;
}

RunMount parse_mount(const Ctx& c, const std::string& value) {
  RunMount m;
  m.as_written = value;
  bool rw_set = false;
  auto fields = csv_fields(value);
  for (const auto& f : fields) {  // type first: it decides the defaults
    if (lower(f.substr(0, f.find('='))) == "type") m.type = lower(f.substr(f.find('=') + 1));
  }
  static const std::set<std::string> types = {"bind", "cache", "tmpfs", "secret", "ssh"};
  if (!types.count(m.type)) c.fail("unsupported mount type \"" + m.type + "\"");
  m.readonly = m.type == "bind";
  for (const auto& f : fields) {
    auto eq = f.find('=');
    std::string key = lower(f.substr(0, eq));
    std::string val = eq == std::string::npos ? "" : f.substr(eq + 1);
    auto boolean = [&](bool& dst, bool when_true) {
      std::string v = lower(val);
      if (eq == std::string::npos || v == "true" || v == "1") dst = when_true;
      else if (v == "false" || v == "0") dst = !when_true;
      else c.fail("invalid value for " + key + ": " + val);
    };
    if (key == "type" || key.empty()) continue;
    if (key == "readonly" || key == "ro") boolean(m.readonly, true), rw_set = true;
    else if (key == "readwrite" || key == "rw") boolean(m.readonly, false), rw_set = true;
    else if (key == "required") boolean(m.required, true);
    else if (eq == std::string::npos) c.fail("invalid field '" + f + "' must be a key=value pair");
    else if (key == "target" || key == "dst" || key == "destination") m.target = val;
    else if (key == "source" || key == "src") m.source = val;
    else if (key == "from") m.from = val;
    else if (key == "id") m.id = val;
    else if (key == "sharing") m.sharing = lower(val);
    else if (key == "mode") m.mode = val;
    else if (key == "uid") m.uid = val;
    else if (key == "gid") m.gid = val;
    else if (key == "size") m.size = val;
    else if (key == "env") m.env = val;
    else c.fail("unexpected key '" + key + "' in '" + f + "'");
  }
  (void)rw_set;
  if (!m.sharing.empty() && m.sharing != "shared" && m.sharing != "private" && m.sharing != "locked")
    c.fail("unsupported sharing value \"" + m.sharing + "\"");
  if (m.target.empty() && m.type != "secret" && m.type != "ssh") c.fail("--mount=" + value + ": the mount needs a target");
  if (m.type == "cache" && m.id.empty()) m.id = m.target;  // a cache is shared by its target by default
  if (m.type == "cache" && m.sharing.empty()) m.sharing = "shared";
  return m;
}

int64_t duration_flag(const Ctx& c, const Instruction& in, const std::string& name) {
  auto v = in.flag(name);
  if (v.empty()) return 0;
  auto d = parse_go_duration_ns(v);
  if (!d) c.fail("invalid duration for --" + name + ": \"" + v + "\"");
  if (*d < 0) c.fail("--" + name + " cannot be negative");
  // Zero means "the default"; anything else must be at least a millisecond.
  if (*d != 0 && *d < 1000000) c.fail("--" + name + " \"" + v + "\" cannot be less than 1ms");
  return *d;
}

bool is_heredoc_word(const std::string& w) {
  size_t i = 0;
  while (i < w.size() && std::isdigit(static_cast<unsigned char>(w[i]))) ++i;
  return w.compare(i, 2, "<<") == 0;
}

void check_copy(const Ctx& c, Instruction& in) {
  if (in.args.size() < 2)
    c.fail("requires at least two arguments, but only " + std::to_string(in.args.size()) +
           " was provided. Destination could not be determined");
  if (!in.json && !in.heredocs.empty() && is_heredoc_word(in.args.back())) c.fail("cannot accept a heredoc as destination");
  auto from = in.flag("from");
  if (from.find('$') != std::string::npos)
    c.fail("variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround");
}

}  // namespace

void instruction_error(const SourceFile& file, int line, const std::string& instruction, const std::string& message) {
  throw ConfigError(SourceMark{file, line, 0}, instruction, message);
}

std::string Instruction::flag(const std::string& name) const {
  auto it = flags.find(name);
  return it == flags.end() || it->second.empty() ? std::string() : it->second.back();
}

std::string Instruction::name() const { return upper(keyword); }

Instruction parse_instruction(const Node& node, const SourceFile& file) {
  Ctx c{file, node.line, upper(node.keyword)};
  const auto& known = known_instructions();
  if (std::find(known.begin(), known.end(), node.keyword) == known.end()) {
    std::string msg = "unknown instruction: " + node.keyword_as_written;
    std::string best;
    size_t best_d = 3;
    for (const auto& k : known) {
      auto d = edit_distance(node.keyword, k);
      if (d < best_d) best_d = d, best = k;
    }
    if (!best.empty()) msg += " (did you mean " + upper(best) + "?)";
    throw ConfigError(SourceMark{file, node.line, 0}, "", msg);
  }
  Instruction in;
  in.keyword = node.keyword;
  in.original = node.original;
  in.line = node.line;
  in.end_line = node.end_line;
  in.args = node.args;
  in.json = node.json;
  in.heredocs = node.heredocs;
  in.flags = check_flags(c, node.keyword, node.flags);
  const auto& k = in.keyword;
  auto need_args = [&](size_t n) {
    if (in.args.size() < n) c.fail("requires at least " + std::string(n == 1 ? "one argument" : "two arguments"));
  };

  if (k == "from") {
    if (in.args.size() != 1 && in.args.size() != 3) c.fail("FROM requires either one or three arguments");
    if (in.args.size() == 3) {
      if (lower(in.args[1]) != "as") c.fail("FROM requires either one or three arguments: expected AS, got \"" + in.args[1] + "\"");
      std::string name = lower(in.args[2]);
      bool ok = !name.empty() && name[0] >= 'a' && name[0] <= 'z' &&
                std::all_of(name.begin(), name.end(), [](char ch) {
                  return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
                });
      if (!ok) c.fail("invalid name for build stage: \"" + in.args[2] + "\", name can't start with a number or contain symbols");
      in.args[2] = name;
    }
  } else if (k == "run") {
    if (in.args.empty() && in.heredocs.empty()) c.fail("requires at least one argument");
    for (const auto& m : in.flags["mount"]) in.mounts.push_back(parse_mount(c, m));
    for (const auto& m : in.mounts)
      if (m.from.find('$') != std::string::npos) c.fail("'from' doesn't support variable expansion, define alias stage instead");
    auto net = in.flag("network");
    if (!net.empty() && net != "default" && net != "none" && net != "host") c.fail("unsupported network mode \"" + net + "\"");
    auto sec = in.flag("security");
    if (!sec.empty() && sec != "sandbox" && sec != "insecure") c.fail("unsupported security mode \"" + sec + "\"");
  } else if (k == "cmd" || k == "entrypoint") {
    if (in.args.empty() && !in.json) c.fail("requires at least one argument");
  } else if (k == "shell") {
    if (!in.json) c.fail("SHELL requires the arguments to be in JSON form");
    if (in.args.empty()) c.fail("SHELL requires at least one argument");
  } else if (k == "copy" || k == "add") {
    check_copy(c, in);
  } else if (k == "env" || k == "label") {
    if (in.args.empty()) c.fail("requires at least one argument");
    for (size_t i = 0; i + 1 < in.args.size(); i += 2) {
      if (in.args[i].empty()) c.fail(c.instr + " names can not be blank");
      in.pairs.emplace_back(in.args[i], in.args[i + 1]);
    }
  } else if (k == "arg") {
    need_args(1);
    for (const auto& w : in.args) {
      auto eq = w.find('=');
      std::string name = w.substr(0, eq);
      if (name.empty()) c.fail("ARG names can not be blank");
      if (eq == std::string::npos) in.decls.emplace_back(name, std::nullopt);
      else in.decls.emplace_back(name, w.substr(eq + 1));
    }
  } else if (k == "expose" || k == "volume") {
    need_args(1);
    if (k == "volume")
      for (const auto& v : in.args)
        if (v.find_first_not_of(" \t") == std::string::npos) c.fail("VOLUME specified can not be an empty string");
  } else if (k == "workdir" || k == "user" || k == "stopsignal" || k == "maintainer") {
    if (in.args.size() != 1) c.fail("requires exactly one argument");
  } else if (k == "healthcheck") {
    need_args(1);
    Healthcheck h;
    std::string type = upper(in.args[0]);
    if (type == "NONE") {
      if (in.args.size() > 1) c.fail("HEALTHCHECK NONE takes no arguments");
      if (!in.flags.empty()) c.fail("HEALTHCHECK NONE takes no flags");
      h.test = {"NONE"};
    } else if (type == "CMD") {
      if (in.args.size() < 2 && !in.json) c.fail("Missing command after HEALTHCHECK CMD");
      if (in.json) {
        h.test = {"CMD"};
        h.test.insert(h.test.end(), in.args.begin() + 1, in.args.end());
      } else {
        h.test = {"CMD-SHELL", in.args[1]};
      }
      h.interval_ns = duration_flag(c, in, "interval");
      h.timeout_ns = duration_flag(c, in, "timeout");
      h.start_period_ns = duration_flag(c, in, "start-period");
      h.start_interval_ns = duration_flag(c, in, "start-interval");
      auto r = in.flag("retries");
      if (!r.empty()) {
        size_t used = 0;
        try {
          h.retries = std::stoi(r, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != r.size()) c.fail("invalid --retries \"" + r + "\": not a number");
        if (h.retries < 0) c.fail("--retries cannot be negative (" + r + ")");
      }
    } else {
      c.fail("Unknown type \"" + in.args[0] + "\" in HEALTHCHECK (try CMD)");
    }
    in.healthcheck = std::move(h);
  } else if (k == "onbuild") {
    if (!node.trigger) c.fail("ONBUILD requires at least one argument");
    const auto& t = node.trigger->keyword;
    if (t == "onbuild") c.fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    if (t == "from" || t == "maintainer") c.fail(upper(t) + " isn't allowed as an ONBUILD trigger");
    Node trig = *node.trigger;
    trig.line = node.line;
    trig.end_line = node.end_line;
    in.trigger = std::make_shared<Instruction>(parse_instruction(trig, file));
  }
  return in;
}

}  // namespace berth::builder
