// Stages, global ARGs and the stage graph; see dockerfile_stages.hpp.
#include "builder/dockerfile_stages.hpp"

#include <algorithm>
#include <cctype>

#include "builder/dockerfile_lexer.hpp"
#include "builder/shell_words.hpp"

namespace berth::builder {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::optional<int> stage_named(const Dockerfile& df, const std::string& name, int before) {
  auto n = lower(name);
  for (int i = before - 1; i >= 0; --i)
    if (!df.stages[i].name.empty() && df.stages[i].name == n) return i;
  return std::nullopt;
}

// A reference from stage `cur` (COPY --from, RUN --mount from): an earlier stage, or an image.
void add_reference(Dockerfile& df, Stage& cur, const Instruction& in, const std::string& ref, bool index_allowed) {
  if (ref.empty()) return;
  if (auto s = stage_named(df, ref, cur.index)) {
    cur.depends_on.insert(*s);
    return;
  }
  if (index_allowed && all_digits(ref)) {
    long i = ref.size() > 6 ? 1000000 : std::stol(ref);
    if (i >= cur.index)
      instruction_error(df.raw.file, in.line, in.name(),
                        "cannot copy from stage " + ref + ", it needs to be defined before current stage " + std::to_string(cur.index));
    cur.depends_on.insert(static_cast<int>(i));
    return;
  }
  for (size_t j = cur.index; j < df.stages.size(); ++j)
    if (df.stages[j].name == lower(ref))
      instruction_error(df.raw.file, in.line, in.name(),
                        "cannot copy from stage \"" + ref + "\", it needs to be defined before current stage \"" +
                            (cur.name.empty() ? std::to_string(cur.index) : cur.name) + "\"");
  cur.images.insert(ref);
}

void add_references(Dockerfile& df, Stage& cur, const Instruction& in) {
  if (in.keyword == "copy") add_reference(df, cur, in, in.flag("from"), true);
  for (const auto& m : in.mounts) add_reference(df, cur, in, m.from, false);
}

}  // namespace

Dockerfile load_dockerfile(std::string_view text, const SourceFile& file, const std::map<std::string, std::string>& build_args) {
  Dockerfile df;
  df.raw = parse_dockerfile(text, file);
  df.warnings = df.raw.warnings;
  LexOptions lex;
  lex.escape = df.raw.escape;
  VarLookup meta = [&df](const std::string& k) -> std::optional<std::string> {
    auto it = df.meta_args.find(k);
    return it == df.meta_args.end() ? std::nullopt : it->second;
  };
  auto expand = [&](const Instruction& in, const std::string& text) {
    try {
      return shell_expand(text, meta, lex);
    } catch (const ExpandError& e) {
      instruction_error(file, in.line, in.name(), e.what());
    }
  };

  for (const auto& node : df.raw.nodes) {
    Instruction in = parse_instruction(node, file);
    if (in.keyword == "from") {
      Stage st;
      st.index = static_cast<int>(df.stages.size());
      st.line = in.line;
      st.base_as_written = in.args[0];
      if (in.args.size() == 3) st.name = in.args[2];
      for (const auto& prev : df.stages)
        if (!st.name.empty() && prev.name == st.name)
          instruction_error(file, in.line, "FROM",
                            "duplicate stage name \"" + st.name + "\" (first defined at line " + std::to_string(prev.line) + ")");
      auto base = expand(in, st.base_as_written);
      for (const auto& v : base.unset)
        if (!df.meta_args.count(v))
          df.warnings.push_back(file.str() + ":" + std::to_string(in.line) + ": FROM uses undeclared ARG \"" + v +
                                "\" (declare it with ARG before the first FROM)");
      st.base = base.word;
      if (st.base.empty()) instruction_error(file, in.line, "FROM", "base name (" + st.base_as_written + ") should not be blank");
      if (in.has_flag("platform")) st.platform = expand(in, in.flag("platform")).word;
      if (auto b = stage_named(df, st.base, st.index)) {
        st.base_stage = *b;
        st.depends_on.insert(*b);
      }
      st.from = std::move(in);
      df.stages.push_back(std::move(st));
      continue;
    }
    if (df.stages.empty()) {
      if (in.keyword != "arg") instruction_error(file, in.line, in.name(), "no build stage in current context");
      for (const auto& [name, def] : in.decls) {
        auto given = build_args.find(name);
        if (given != build_args.end()) df.meta_args[name] = given->second;
        else if (def) df.meta_args[name] = expand(in, *def).word;
        else df.meta_args[name] = std::nullopt;
      }
      df.global_args.push_back(std::move(in));
      continue;
    }
    df.stages.back().instructions.push_back(std::move(in));
  }
  if (df.stages.empty()) throw ConfigError(SourceMark{file, 0, 0}, "", "dockerfile contains no stages to build");
  // References are resolved once every stage is known, so that one to a later stage is refused
  // by name rather than taken for an image.
  for (auto& st : df.stages) {
    for (const auto& in : st.instructions) add_references(df, st, in);
    // The base stage's ONBUILD triggers run in this stage: their references are this stage's.
    if (st.base_stage)
      for (const auto& t : df.stages[*st.base_stage].instructions)
        if (t.trigger) add_references(df, st, *t.trigger);
  }
  return df;
}

int resolve_target(const Dockerfile& df, const std::string& target) {
  if (target.empty()) return static_cast<int>(df.stages.size()) - 1;
  if (auto s = stage_named(df, target, static_cast<int>(df.stages.size()))) return *s;
  throw UserError("target stage \"" + target + "\" could not be found in " + df.raw.file.str());
}

std::vector<int> stages_needed(const Dockerfile& df, int target) {
  std::vector<bool> need(df.stages.size());
  need.at(target) = true;
  // References only reach back, so one pass from the target down marks everything.
  for (int i = target; i >= 0; --i)
    if (need[i])
      for (int d : df.stages[i].depends_on) need[d] = true;
  std::vector<int> out;
  for (int i = 0; i <= target; ++i)
    if (need[i]) out.push_back(i);
  return out;
}

std::vector<std::vector<int>> build_waves(const Dockerfile& df, const std::vector<int>& needed) {
  std::map<int, int> wave;
  std::vector<std::vector<int>> out;
  for (int i : needed) {  // file order: every dependency already has its wave
    int w = 0;
    for (int d : df.stages[i].depends_on) w = std::max(w, wave.at(d) + 1);
    wave[i] = w;
    if (out.size() <= static_cast<size_t>(w)) out.resize(w + 1);
    out[w].push_back(i);
  }
  return out;
}

}  // namespace berth::builder
