// See instruction_expand.hpp for the rules; they follow BuildKit's dockerfile2llb, which expands
// an instruction's fields one by one with the stage's "shell lexer" and leaves commands alone.
#include "builder/instruction_expand.hpp"

namespace berth::builder {
namespace {

class Expander {
 public:
  Expander(const Instruction& in, const VarLookup& vars, char escape, const SourceFile& file, std::set<std::string>& unset)
      : in_(in), vars_(vars), file_(file), unset_(unset) {
    lex_.escape = escape;
  }

  // `raw`: quotes and escape characters kept, as for a heredoc body (a file's text, not words).
  Expansion run(const std::string& text, bool raw = false) {
    LexOptions lex = lex_;
    lex.raw_quotes = lex.raw_escapes = raw;
    try {
      auto e = shell_expand(text, vars_, lex);
      unset_.insert(e.unset.begin(), e.unset.end());
      return e;
    } catch (const ExpandError& e) {
      instruction_error(file_, in_.line, in_.name(), e.what());
    }
  }
  std::string word(const std::string& text) { return run(text).word; }
  void in_place(std::string& text) { text = word(text); }
  void flag(Instruction& out, const std::string& name) {
    auto it = out.flags.find(name);
    if (it != out.flags.end())
      for (auto& v : it->second) in_place(v);
  }

 private:
  const Instruction& in_;
  const VarLookup& vars_;
  const SourceFile& file_;
  std::set<std::string>& unset_;
  LexOptions lex_;
};

}  // namespace

ExpandResult expand_instruction(const Instruction& in, const VarLookup& vars, char escape, const SourceFile& file) {
  ExpandResult r{in, {}};
  Instruction& out = r.instruction;
  Expander x(in, vars, escape, file, r.unset);
  const auto& k = in.keyword;
  if (k == "arg") {
    for (auto& [name, def] : out.decls)
      if (def) def = x.word(*def);
  } else if (k == "env" || k == "label") {
    for (auto& [key, value] : out.pairs) {
      x.in_place(key);
      x.in_place(value);
    }
  } else if (k == "workdir" || k == "user" || k == "stopsignal") {
    for (auto& a : out.args) x.in_place(a);
  } else if (k == "volume" || k == "expose") {
    // A word may expand to several ("EXPOSE $PORTS"): BuildKit splits the expansion.
    std::vector<std::string> words;
    for (const auto& a : in.args) {
      auto e = x.run(a);
      if (k == "expose") words.insert(words.end(), e.words.begin(), e.words.end());
      else words.push_back(e.word);
    }
    out.args = std::move(words);
  } else if (k == "copy" || k == "add") {
    for (auto& a : out.args) x.in_place(a);
    for (const char* f : {"chown", "chmod", "checksum"}) x.flag(out, f);
    for (auto& h : out.heredocs)
      if (h.expand) h.content = x.run(h.content, true).word;
  } else if (k == "run") {
    for (auto& m : out.mounts)
      for (std::string* f : {&m.target, &m.source, &m.id, &m.sharing, &m.mode, &m.uid, &m.gid, &m.size, &m.env})
        x.in_place(*f);
  }
  return r;
}

}  // namespace berth::builder
