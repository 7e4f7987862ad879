// The physical-line pass of the Dockerfile parser; see dockerfile_lexer.hpp for the rules.
#include "builder/dockerfile_lexer.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <optional>

#include "builder/shell_words.hpp"

namespace berth::builder {
namespace {

constexpr size_t max_line = 64 * 1024 - 1;  // BuildKit's scanner refuses longer physical lines

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
bool is_hspace(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}
std::string_view trim(std::string_view s) {
  s = trim_left(s);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}
std::string_view trim_newline(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
bool is_comment(std::string_view raw) {
  auto t = trim_left(trim_newline(raw));
  return !t.empty() && t.front() == '#';
}
std::string lower(std::string_view s) {
  std::string r(s);
  std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return std::tolower(c); });
  return r;
}

[[noreturn]] void fail(const SourceFile& file, int line, const std::string& msg) {
  throw ConfigError(SourceMark{file, line, 0}, "", msg);
}

// Splits on runs of blanks (the rule of FROM, EXPOSE and the non-JSON COPY/ADD/VOLUME).
std::vector<std::string> split_blanks(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && !is_hspace(s[j])) ++j;
    out.emplace_back(s.substr(i, j - i));
    while (j < s.size() && is_hspace(s[j])) ++j;
    i = j;
  }
  return out;
}

class DirectiveReader {
 public:
  // Returns the escape character when this line sets one.
  std::optional<char> line(std::string_view token, int lineno, const SourceFile& file, std::vector<Directive>& out) {
    if (done_) return std::nullopt;
    if (token.empty() || token.front() != '#') return stop();
    auto body = trim_left(token.substr(1));
    // key = value: a letter then letters/digits, blanks around `=` allowed.
    size_t k = 0;
    if (body.empty() || !std::isalpha(static_cast<unsigned char>(body[0]))) return stop();
    while (k < body.size() && std::isalnum(static_cast<unsigned char>(body[k]))) ++k;
    auto key = lower(body.substr(0, k));
    auto rest = trim_left(body.substr(k));
    if (rest.empty() || rest.front() != '=') return stop();
    auto value = trim(rest.substr(1));
    if (value.empty()) return stop();
    if (key != "syntax" && key != "escape" && key != "check") return stop();
    if (std::find(seen_.begin(), seen_.end(), key) != seen_.end())
      fail(file, lineno, "only one " + key + " parser directive can be used");
    seen_.push_back(key);
    out.push_back({key, std::string(value), lineno});
    if (key != "escape") return std::nullopt;
    if (value != "`" && value != "\\")
      fail(file, lineno, "invalid escape token '" + std::string(value) + "' does not match ` or \\");
    return value[0];
  }

 private:
  std::optional<char> stop() {
    done_ = true;
    return std::nullopt;
  }
  bool done_ = false;
  std::vector<std::string> seen_;
};

// The escape character ending the line (after optional blanks, not itself escaped) continues it.
std::pair<std::string, bool> trim_continuation(std::string_view s, char escape) {
  size_t e = s.size();
  while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  if (e > 0 && s[e - 1] == escape && (e == 1 || s[e - 2] != escape)) return {std::string(s.substr(0, e - 1)), false};
  return {std::string(s), true};
}

struct Split {
  std::vector<std::string> args;
  bool json = false;
};

// A JSON array of strings; nullopt when the text is not valid JSON (shell form then).
std::optional<Split> parse_json_array(std::string_view rest) {
  rest = trim_left(rest);
  if (rest.empty() || rest.front() != '[') return std::nullopt;
  auto j = nlohmann::json::parse(rest, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return std::nullopt;
  Split s{{}, true};
  for (const auto& v : j) {
    if (!v.is_string()) throw ExpandError("when using JSON array syntax, arrays must be comprised of strings only");
    s.args.push_back(v.get<std::string>());
  }
  return s;
}

Split maybe_json(std::string_view rest) {
  if (rest.empty()) return {};
  if (auto s = parse_json_array(rest)) return *s;
  return {{std::string(rest)}, false};
}

Split maybe_json_to_list(std::string_view rest) {
  if (auto s = parse_json_array(rest)) return *s;
  return {split_blanks(rest), false};
}

// ENV and LABEL: `KEY value with spaces` (legacy, when the first word has no `=`) or
// `k=v k2="v 2"`. Stored as alternating key, value.
Split name_values(std::string_view rest, const std::string& instr, char escape) {
  auto words = split_quoted_words(rest, escape);
  if (words.empty()) return {};
  Split s;
  if (words[0].find('=') == std::string::npos) {
    auto parts = split_blanks(rest);
    if (parts.size() < 2) throw ExpandError(instr + " must have two arguments");
    size_t after_key = rest.find_first_of(" \t\v\f\r");
    auto value = rest.substr(after_key);
    while (!value.empty() && is_hspace(value.front())) value.remove_prefix(1);
    s.args = {parts[0], std::string(value)};
    return s;
  }
  for (const auto& w : words) {
    auto eq = w.find('=');
    if (eq == std::string::npos)
      throw ExpandError("Syntax error - can't find = in \"" + w + "\". Must be of the form: name=value");
    s.args.push_back(w.substr(0, eq));
    s.args.push_back(w.substr(eq + 1));
  }
  return s;
}

// The `--name[=value]` words at the start of the arguments, with shell-like quoting (always `\`
// as escape, as BuildKit does); a lone `--` ends them.
std::pair<std::string_view, std::vector<std::string>> split_flags(std::string_view line) {
  std::vector<std::string> words;
  size_t pos = 0;
  for (;;) {
    while (pos < line.size() && is_space(line[pos])) ++pos;
    if (pos >= line.size()) return {{}, words};
    if (line[pos] != '-' || pos + 1 >= line.size() || line[pos + 1] != '-') return {line.substr(pos), words};
    std::string word;
    bool blank_ok = false;
    char quote = 0;
    while (pos < line.size()) {
      char c = line[pos];
      if (quote) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\\' && pos + 1 < line.size()) {
          word += line[++pos];
        } else if (c != '\\') {
          word += c;
        }
        ++pos;
        continue;
      }
      if (is_space(c)) break;
      if (c == '\'' || c == '"') {
        quote = c;
        blank_ok = true;
      } else if (c == '\\') {
        if (pos + 1 < line.size()) word += line[++pos];
      } else {
        word += c;
      }
      ++pos;
    }
    if (word == "--") return {pos < line.size() ? line.substr(pos) : std::string_view{}, words};
    if (blank_ok || !word.empty()) words.push_back(std::move(word));
  }
}

Node node_from_line(std::string_view line, char escape, const SourceFile& file, int lineno) {
  Node n;
  n.original = std::string(line);
  auto t = trim(line);
  size_t ws = 0;
  while (ws < t.size() && !is_hspace(t[ws])) ++ws;
  n.keyword_as_written = std::string(t.substr(0, ws));
  n.keyword = lower(n.keyword_as_written);
  std::string_view rest;
  if (ws < t.size()) {
    auto [args, flags] = split_flags(t.substr(ws));
    n.flags = std::move(flags);
    rest = trim(args);
  }
  const auto& k = n.keyword;
  try {
    Split s;
    if (k == "add" || k == "copy" || k == "volume") {
      s = maybe_json_to_list(rest);
    } else if (k == "run" || k == "cmd" || k == "entrypoint" || k == "shell") {
      s = maybe_json(rest);
    } else if (k == "arg") {
      s.args = split_quoted_words(rest, escape);
    } else if (k == "env" || k == "label") {
      s = name_values(rest, k == "env" ? "ENV" : "LABEL", escape);
    } else if (k == "from" || k == "expose") {
      s.args = split_blanks(rest);
    } else if (k == "healthcheck") {
      size_t sep = 0;
      while (sep < rest.size() && !is_space(rest[sep])) ++sep;
      if (sep > 0) {
        s = maybe_json(trim_left(rest.substr(sep)));
        s.args.insert(s.args.begin(), std::string(rest.substr(0, sep)));
      }
    } else if (k == "maintainer" || k == "stopsignal" || k == "user" || k == "workdir") {
      if (!rest.empty()) s.args = {std::string(rest)};
    } else if (k == "onbuild") {
      if (!rest.empty()) n.trigger = std::make_shared<Node>(node_from_line(rest, escape, file, lineno));
    } else {
      // Unknown words are kept (as a single argument) for the instruction pass to report.
      if (!rest.empty()) s.args = {std::string(rest)};
    }
    n.args = std::move(s.args);
    n.json = s.json;
  } catch (const ExpandError& e) {
    fail(file, lineno, e.what());
  }
  return n;
}

bool can_contain_heredoc(const Node& n) {
  const Node* x = n.keyword == "onbuild" && n.trigger ? n.trigger.get() : &n;
  return (x->keyword == "run" || x->keyword == "copy" || x->keyword == "add") && !x->json;
}

// `[digits]<<[-][blanks]WORD` as a whole word of the line.
std::optional<Heredoc> heredoc_from_word(std::string_view w) {
  size_t i = 0;
  while (i < w.size() && std::isdigit(static_cast<unsigned char>(w[i]))) ++i;
  if (w.substr(i, 2) != "<<") return std::nullopt;
  Heredoc h;
  h.fd = i ? static_cast<unsigned>(std::stoul(std::string(w.substr(0, i)))) : 0;
  i += 2;
  if (i < w.size() && w[i] == '-') h.chomp = true, ++i;
  while (i < w.size() && is_space(w[i])) ++i;
  auto rest = w.substr(i);
  if (rest.empty() || rest.find('<') != std::string_view::npos) return std::nullopt;
  LexOptions o;
  o.skip_unset = true;
  auto words = shell_expand(rest, {}, o).words;
  if (words.size() != 1) return std::nullopt;
  o.raw_quotes = true;
  auto raw = shell_expand(rest, {}, o).words;
  auto quotes = [](const std::string& s) { return std::count(s.begin(), s.end(), '\'') + std::count(s.begin(), s.end(), '"'); };
  h.name = words[0];
  // Any quoted part of the delimiter (`<<"EOF"`, `<<E'O'F`) turns expansion of the body off.
  h.expand = raw.size() == 1 && quotes(words[0]) == quotes(raw[0]);
  return h;
}

std::vector<Heredoc> heredocs_in(std::string_view line) {
  LexOptions o;
  o.raw_quotes = o.raw_escapes = o.skip_unset = true;
  std::vector<std::string> words;
  try {
    words = shell_expand(line, {}, o).words;
  } catch (const ExpandError&) {
    return {};  // a line the lexer cannot split holds no heredoc (BuildKit ignores the error too)
  }
  std::vector<Heredoc> out;
  for (const auto& w : words)
    if (auto h = heredoc_from_word(w)) out.push_back(std::move(*h));
  return out;
}

std::string strip_leading_tabs(std::string_view body) {
  std::string out;
  bool at_start = true;
  for (char c : body) {
    if (at_start && c == '\t') continue;
    at_start = c == '\n';
    out += c;
  }
  return out;
}

}  // namespace

std::vector<std::string> split_quoted_words(std::string_view rest, char escape) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false, blank_ok = false;
  char quote = 0;
  for (size_t pos = 0; pos < rest.size(); ++pos) {
    char c = rest[pos];
    if (!in_word) {
      if (is_space(c)) continue;
      in_word = true;
    }
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == escape && quote != '\'') {
        if (pos + 1 == rest.size()) continue;  // an escape at the very end is dropped
        word += c;
        c = rest[++pos];
      }
      word += c;
      continue;
    }
    if (is_space(c)) {
      if (blank_ok || !word.empty()) words.push_back(word);
      word.clear();
      in_word = blank_ok = false;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      blank_ok = true;
    } else if (c == escape) {
      if (pos + 1 == rest.size()) continue;
      word += c;
      c = rest[++pos];
    }
    word += c;
  }
  if (in_word && (blank_ok || !word.empty())) words.push_back(word);
  return words;
}

RawDockerfile parse_dockerfile(std::string_view text, const SourceFile& file) {
  RawDockerfile df;
  df.file = file;
  if (trim(text).empty()) fail(file, 0, "the Dockerfile cannot be empty");
  std::vector<std::string_view> lines;
  for (size_t i = 0; i < text.size();) {
    size_t nl = text.find('\n', i);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(i, end - i));
    if (trim_newline(lines.back()).size() > max_line)
      fail(file, static_cast<int>(lines.size()), "dockerfile line greater than max allowed size of " + std::to_string(max_line));
    i = end;
  }
  if (!lines.empty() && lines[0].substr(0, 3) == "\xEF\xBB\xBF") lines[0].remove_prefix(3);

  DirectiveReader directives;
  std::vector<std::string> comments;
  size_t li = 0;
  int current = 0;
  // trimNewline, optional left trim, directive check, then a whole-line comment becomes empty.
  auto process = [&](std::string_view raw, bool strip_left, int lineno) {
    auto token = trim_newline(raw);
    if (strip_left) token = trim_left(token);
    if (auto esc = directives.line(token, lineno, file, df.directives)) df.escape = *esc;
    return !token.empty() && token.front() == '#' ? std::string_view{} : token;
  };
  while (li < lines.size()) {
    auto raw = lines[li++];
    if (is_comment(raw)) {
      auto t = trim_left(raw);
      comments.emplace_back(trim(t.substr(1)));
    }
    auto token = process(raw, true, current + 1);
    int start = ++current;
    auto [line, eol] = trim_continuation(token, df.escape);
    if (eol && line.empty()) continue;
    bool empty_continuation = false;
    while (!eol && li < lines.size()) {
      auto craw = lines[li++];
      auto ctoken = process(craw, false, current + 1);
      ++current;
      if (is_comment(craw)) continue;
      if (trim_left(trim_newline(ctoken)).empty()) {
        empty_continuation = true;
        continue;
      }
      auto [more, end] = trim_continuation(ctoken, df.escape);
      line += more;
      eol = end;
    }
    if (empty_continuation)
      df.warnings.push_back(file.str() + ":" + std::to_string(start) + ": empty continuation line (a future Docker release will refuse it)");

    Node node = node_from_line(line, df.escape, file, start);
    node.comments = std::move(comments);
    comments.clear();
    if (can_contain_heredoc(node)) {
      std::vector<Heredoc> docs;
      try {
        docs = heredocs_in(line);
      } catch (const ExpandError& e) {
        fail(file, start, e.what());
      }
      for (auto& h : docs) {
        bool terminated = false;
        while (li < lines.size()) {
          auto body = lines[li++];
          ++current;
          auto end = trim_newline(body);
          if (h.chomp)
            while (!end.empty() && end.front() == '\t') end.remove_prefix(1);
          if (end == h.name) {
            terminated = true;
            break;
          }
          h.content += body;
        }
        if (!terminated) fail(file, start, "unterminated heredoc " + h.name);
        if (h.chomp) h.content = strip_leading_tabs(h.content);
      }
      Node& target = node.keyword == "onbuild" ? *node.trigger : node;
      target.heredocs = std::move(docs);
    }
    node.line = start;
    node.end_line = current;
    df.nodes.push_back(std::move(node));
  }
  if (df.nodes.empty()) fail(file, current, "file with no instructions");
  return df;
}

}  // namespace berth::builder
