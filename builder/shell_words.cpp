// The Dockerfile shell lexer: one pass over the text with a one-character lookahead, recursing into
// ${...} bodies, collecting the whole-text result and the whitespace-split words side by side.
#include "builder/shell_words.hpp"

#include <map>

#include "builder/shell_pattern.hpp"

namespace berth::builder {
namespace {

constexpr int eof = -1;

bool is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
bool is_digit(int c) { return c >= '0' && c <= '9'; }
// Bytes of multi-byte UTF-8 characters count as letters so that non-ASCII names stay whole.
bool is_name_char(int c) { return c == '_' || is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80; }
bool is_special_param(int c) {
  return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' || c == '0';
}

// Words as a POSIX shell splits unquoted text: whitespace ends a word; quoted text (even empty)
// only extends the current one.
struct Words {
  std::string buf;
  std::vector<std::string> list;
  bool in_word = false;
  void add_char(char c) {
    if (is_space(static_cast<unsigned char>(c))) {
      if (in_word && !buf.empty()) {
        list.push_back(std::move(buf));
        buf.clear();
        in_word = false;
      }
    } else {
      add_raw(c);
    }
  }
  void add_raw(char c) {
    buf += c;
    in_word = true;
  }
  void add_string(std::string_view s) {
    for (char c : s) add_char(c);
  }
  void add_raw_string(std::string_view s) {
    buf += s;
    in_word = true;
  }
  std::vector<std::string> take() {
    if (!buf.empty()) list.push_back(std::move(buf));
    buf.clear();
    return std::move(list);
  }
};

class Lexer {
 public:
  Lexer(std::string_view text, const VarLookup& env, const LexOptions& o) : s_(text), env_(env), o_(o) {}

  Expansion run() {
    Expansion out;
    auto [word, words] = process_until(eof, o_.raw_escapes);
    out.word = std::move(word);
    out.words = std::move(words);
    out.used = std::move(used_);
    out.unset = std::move(unset_);
    return out;
  }

 private:
  int peek() const { return pos_ < s_.size() ? static_cast<unsigned char>(s_[pos_]) : eof; }
  int next() { return pos_ < s_.size() ? static_cast<unsigned char>(s_[pos_++]) : eof; }

  std::pair<std::string, std::vector<std::string>> process_until(int stop, bool raw_escapes) {
    std::string result;
    Words words;
    while (peek() != eof) {
      int c = peek();
      if (stop != eof && c == stop) {
        next();
        return {result, words.take()};
      }
      if (c == '$') {
        std::string v = dollar();
        result += v;
        words.add_string(v);
      } else if (c == '\'' || c == '"') {
        std::string v = c == '\'' ? single_quote() : double_quote(raw_escapes);
        result += v;
        words.add_raw_string(v);
      } else {
        c = next();
        if (c == o_.escape) {
          if (raw_escapes) {
            words.add_raw(static_cast<char>(c));
            result += static_cast<char>(c);
          }
          c = next();
          if (c == eof) break;  // an escape at the very end is dropped
          words.add_raw(static_cast<char>(c));
        } else {
          words.add_char(static_cast<char>(c));
        }
        result += static_cast<char>(c);
      }
    }
    if (stop != eof)
      throw ExpandError("unexpected end of statement while looking for matching " + std::string(1, static_cast<char>(stop)));
    return {result, words.take()};
  }

  std::string single_quote() {
    std::string r;
    int c = next();
    if (o_.raw_quotes) r += static_cast<char>(c);
    for (;;) {
      c = next();
      if (c == eof) throw ExpandError("unexpected end of statement while looking for matching single-quote");
      if (c == '\'') {
        if (o_.raw_quotes) r += '\'';
        return r;
      }
      r += static_cast<char>(c);
    }
  }

  std::string double_quote(bool raw_escapes) {
    std::string r;
    int c = next();
    if (o_.raw_quotes) r += static_cast<char>(c);
    for (;;) {
      c = peek();
      if (c == eof) throw ExpandError("unexpected end of statement while looking for matching double-quote");
      if (c == '"') {
        next();
        if (o_.raw_quotes) r += '"';
        return r;
      }
      if (c == '$') {
        r += dollar();
        continue;
      }
      c = next();
      if (c == o_.escape) {
        if (raw_escapes) r += static_cast<char>(c);
        int n = peek();
        if (n == eof) continue;
        if (n == '"' || n == '$' || n == o_.escape) c = next();
      }
      r += static_cast<char>(c);
    }
  }

  std::string name() {
    std::string n;
    while (peek() != eof) {
      int c = peek();
      if (n.empty() && is_digit(c)) {
        while (is_digit(peek())) n += static_cast<char>(next());
        return n;
      }
      if (n.empty() && is_special_param(c)) return std::string(1, static_cast<char>(next()));
      if (!is_name_char(c)) break;
      n += static_cast<char>(next());
    }
    return n;
  }

  // `handles_unset`: the form has its own answer for a missing value (${V:-w}, ${V+w}, ${V?m}),
  // so the variable is not reported as used unset.
  std::optional<std::string> get(const std::string& name, bool handles_unset = false) {
    auto v = env_ ? env_(name) : std::nullopt;
    if (v) used_.insert(name);
    else if (!handles_unset) unset_.insert(name);
    return v;
  }

  std::string body_until(int stop, bool raw_escapes, const char* missing) {
    try {
      return process_until(stop, raw_escapes).first;
    } catch (const ExpandError&) {
      if (peek() == eof) throw ExpandError(missing);
      throw;
    }
  }

  std::string dollar() {
    next();  // $
    if (peek() != '{') {
      std::string n = name();
      if (n.empty()) return "$";
      auto v = get(n);
      if (!v && o_.skip_unset) return "$" + n;
      return v.value_or("");
    }
    next();  // {
    int c = peek();
    if (c == eof) throw ExpandError("syntax error: missing '}'");
    if (c == '{' || c == '}' || c == ':') throw ExpandError("syntax error: bad substitution");
    std::string n = name();
    c = next();
    std::string mod = c == eof ? std::string() : std::string(1, static_cast<char>(c));
    bool null_is_unset = false;
    if (c == '}') {
      auto v = get(n);
      if (!v && o_.skip_unset) return "${" + n + "}";
      return v.value_or("");
    }
    if (c == '/') {
      bool all = peek() == '/';
      if (all) next();
      std::string pattern = body_until('/', true, "syntax error: missing '/' in ${}");
      std::string repl = body_until('}', true, "syntax error: missing '}'");
      auto v = get(n);
      if (!v && o_.skip_unset) return "${" + n + "/" + pattern + "/" + repl + "}";
      return replace_pattern(v.value_or(""), pattern, repl, all);
    }
    if (c == ':') {
      null_is_unset = true;
      c = next();
      if (c != eof) mod += static_cast<char>(c);
    }
    if (c != '+' && c != '-' && c != '?' && c != '#' && c != '%') {
      if (c == eof) throw ExpandError("syntax error: missing '}'");
      if (!null_is_unset) throw ExpandError("unsupported modifier (" + mod + ") in substitution");
    }
    bool pattern_op = c == '#' || c == '%';
    if (null_is_unset && pattern_op) throw ExpandError("unsupported modifier (" + mod + ") in substitution");
    std::string word = body_until('}', pattern_op, "syntax error: missing '}'");
    auto v = get(n, !pattern_op);
    if (!v && o_.skip_unset) return "${" + n + mod + word + "}";
    bool empty = !v || (null_is_unset && v->empty());
    switch (c) {
      case '-':
        return empty ? word : *v;
      case '+':
        return empty ? std::string() : word;
      case '?':
        if (!v) throw ExpandError(n + ": " + (word.empty() ? "is not allowed to be unset" : word));
        if (empty) throw ExpandError(n + ": " + (word.empty() ? "is not allowed to be empty" : word));
        return *v;
      case '#':
      case '%': {
        bool longest = !word.empty() && word[0] == c;
        if (longest) word.erase(0, 1);
        return trim_pattern(v.value_or(""), word, c == '#' ? TrimSide::prefix : TrimSide::suffix, longest);
      }
      default:
        throw ExpandError("unsupported modifier (" + mod + ") in substitution");
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  const VarLookup& env_;
  const LexOptions& o_;
  std::set<std::string> used_, unset_;
};

}  // namespace

Expansion shell_expand(std::string_view text, const VarLookup& env, const LexOptions& options) {
  try {
    return Lexer(text, env, options).run();
  } catch (const ExpandError& e) {
    throw ExpandError("failed to process \"" + std::string(text) + "\": " + e.what());
  }
}

VarLookup lookup_from_env(const std::vector<std::string>& env) {
  std::map<std::string, std::string> m;
  for (const auto& e : env) {
    auto eq = e.find('=');
    m[e.substr(0, eq)] = eq == std::string::npos ? "" : e.substr(eq + 1);
  }
  return [m = std::move(m)](const std::string& k) -> std::optional<std::string> {
    auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace berth::builder
