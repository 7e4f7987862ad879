// Shell-style patterns for the trimming and replacing forms of variable substitution.
#include "builder/shell_pattern.hpp"

#include <vector>

#include "builder/shell_words.hpp"

namespace berth::builder {
namespace {

struct Token {
  enum Kind { literal, any_run, any_one } kind;
  char c = 0;
};

std::vector<Token> compile(std::string_view p) {
  std::vector<Token> out;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '*') {
      out.push_back({Token::any_run});
    } else if (c == '?') {
      out.push_back({Token::any_one});
    } else if (c == '\\') {
      // `\}` and `\/` only protect the brace or slash from ending the ${...}; the backslash is not
      // part of the pattern.
      if (i + 1 < p.size() && (p[i + 1] == '}' || p[i + 1] == '/')) continue;
      if (i + 1 >= p.size() || (p[i + 1] != '*' && p[i + 1] != '?' && p[i + 1] != '\\'))
        throw ExpandError("invalid pattern (" + std::string(p) + ") in substitution: invalid escape '\\" +
                          (i + 1 < p.size() ? std::string(1, p[i + 1]) : std::string()) + "'");
      out.push_back({Token::literal, p[++i]});
    } else {
      out.push_back({Token::literal, c});
    }
  }
  return out;
}

// Whole-string match, iterative with one backtrack point per star (the classic wildcard walk).
bool matches(const std::vector<Token>& pat, std::string_view s) {
  size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pat.size() && (pat[p].kind == Token::any_one || (pat[p].kind == Token::literal && pat[p].c == s[i]))) {
      ++p, ++i;
    } else if (p < pat.size() && pat[p].kind == Token::any_run) {
      star = p++, mark = i;
    } else if (star != std::string_view::npos) {
      p = star + 1, i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p].kind == Token::any_run) ++p;
  return p == pat.size();
}

}  // namespace

std::string trim_pattern(std::string_view value, std::string_view pattern, TrimSide side, bool longest) {
  auto pat = compile(pattern);
  size_t n = value.size();
  if (side == TrimSide::prefix) {
    for (size_t k = 0; k <= n; ++k) {
      size_t len = longest ? n - k : k;
      if (matches(pat, value.substr(0, len))) return std::string(value.substr(len));
    }
  } else {
    for (size_t k = 0; k <= n; ++k) {
      size_t len = longest ? n - k : k;
      if (matches(pat, value.substr(n - len))) return std::string(value.substr(0, n - len));
    }
  }
  return std::string(value);
}

std::string replace_pattern(std::string_view value, std::string_view pattern, std::string_view replacement, bool all) {
  auto pat = compile(pattern);
  std::string out;
  size_t i = 0;
  bool replaced = false, last_was_match = false;
  while (i <= value.size()) {
    size_t found = std::string_view::npos;
    if (!replaced || all) {
      for (size_t k = value.size(); k + 1 > i; --k) {
        if (matches(pat, value.substr(i, k - i))) {
          found = k;
          break;
        }
        if (k == 0) break;
      }
    }
    // An empty match right after a match is skipped, as Go's regexp replacement does.
    if (found != std::string_view::npos && !(found == i && last_was_match)) {
      out += replacement;
      replaced = true;
      last_was_match = found > i;
      if (found > i) {
        i = found;
        continue;
      }
    } else {
      last_was_match = false;
    }
    if (i < value.size()) out += value[i];
    ++i;
  }
  return out;
}

}  // namespace berth::builder
