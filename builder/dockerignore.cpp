// The .dockerignore matcher; see dockerignore.hpp for the rules it keeps.
#include "builder/dockerignore.hpp"

#include <algorithm>

namespace berth::builder {
namespace {

std::string_view trim(std::string_view s) {
  auto sp = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; };
  while (!s.empty() && sp(s.front())) s.remove_prefix(1);
  while (!s.empty() && sp(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  for (;;) {
    size_t j = s.find('/', i);
    out.emplace_back(s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) return out;
    i = j + 1;
  }
}

[[noreturn]] void bad_pattern() { throw UserError("syntax error in pattern"); }

// One class `[...]` at p[i] (after the `[`); returns the index after `]` and whether c matched.
size_t match_class(std::string_view p, size_t i, unsigned char c, bool& matched) {
  bool negate = i < p.size() && p[i] == '^';
  if (negate) ++i;
  bool any = false, first = true;
  for (;;) {
    if (i >= p.size()) bad_pattern();
    if (p[i] == ']' && !first) break;
    first = false;
    auto esc = [&](size_t& k) -> unsigned char {
      if (k >= p.size() || p[k] == '-' || p[k] == ']') bad_pattern();
      if (p[k] == '\\') {
        if (++k >= p.size()) bad_pattern();
      }
      return static_cast<unsigned char>(p[k++]);
    };
    unsigned char lo = esc(i), hi = lo;
    if (i < p.size() && p[i] == '-') {
      ++i;
      hi = esc(i);
      if (hi < lo) bad_pattern();
    }
    if (lo <= c && c <= hi) any = true;
  }
  matched = any != negate;
  return i + 1;
}

// Backtracking match of Go's path.Match (plus `**` crossing `/`, which one component never holds).
bool match_from(std::string_view p, size_t pi, std::string_view s, size_t si) {
  while (pi < p.size()) {
    char c = p[pi];
    if (c == '*') {
      size_t stars = 0;
      while (pi < p.size() && p[pi] == '*') ++pi, ++stars;
      for (size_t k = si;; ++k) {
        if (match_from(p, pi, s, k)) return true;
        if (k >= s.size() || (s[k] == '/' && stars < 2)) return false;
      }
    }
    if (si >= s.size()) return false;
    if (c == '?') {
      if (s[si] == '/') return false;
      ++pi, ++si;
    } else if (c == '[') {
      bool m = false;
      if (s[si] == '/') return false;
      pi = match_class(p, pi + 1, static_cast<unsigned char>(s[si]), m);
      if (!m) return false;
      ++si;
    } else {
      if (c == '\\' && ++pi >= p.size()) bad_pattern();
      if (p[pi] != s[si]) return false;
      ++pi, ++si;
    }
  }
  return si == s.size();
}

void validate(std::string_view p) {
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      if (++i >= p.size()) bad_pattern();
    } else if (p[i] == '[') {
      bool m;
      i = match_class(p, i + 1, 0, m) - 1;
    }
  }
}

// `**` as a whole path component matches zero or more components; other components glob.
bool match_parts(const std::vector<std::string>& pat, size_t pi, const std::vector<std::string>& path, size_t si) {
  if (pi == pat.size()) return si == path.size();
  if (pat[pi] == "**") {
    // A trailing `/**` needs something below (`x/**` is not `x`); elsewhere `**` may be empty.
    size_t from = pi > 0 && pi + 1 == pat.size() ? si + 1 : si;
    for (size_t k = from; k <= path.size(); ++k)
      if (match_parts(pat, pi + 1, path, k)) return true;
    return false;
  }
  if (si == path.size()) return false;
  if (pat[pi].find("**") != std::string::npos) {
    // `a**b` within one component: the `**` crosses `/` there too, as Docker's translation of
    // the pattern into a regular expression allows.
    std::string rest_path;
    for (size_t k = si; k < path.size(); ++k) rest_path += (k > si ? "/" : "") + path[k];
    std::string rest_pat;
    for (size_t k = pi; k < pat.size(); ++k) rest_pat += (k > pi ? "/" : "") + pat[k];
    return glob_match(rest_pat, rest_path);
  }
  if (!glob_match(pat[pi], path[si])) return false;
  return match_parts(pat, pi + 1, path, si + 1);
}

}  // namespace

std::string clean_path(std::string_view path) {
  if (path.empty()) return ".";
  bool rooted = path.front() == '/';
  std::vector<std::string> out;
  for (auto& part : split(path)) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty() && out.back() != "..") out.pop_back();
      else if (!rooted) out.push_back("..");
      continue;
    }
    out.push_back(part);
  }
  std::string r = rooted ? "/" : "";
  for (size_t i = 0; i < out.size(); ++i) r += (i ? "/" : "") + out[i];
  return r.empty() ? "." : r;
}

bool glob_match(std::string_view pattern, std::string_view name) {
  validate(pattern);
  return match_from(pattern, 0, name, 0);
}

bool DockerIgnore::Pattern::matches(std::string_view path) const { return match_parts(parts, 0, split(path), 0); }

DockerIgnore DockerIgnore::from_patterns(const std::vector<std::string>& patterns) {
  DockerIgnore d;
  for (const auto& raw : patterns) {
    auto p = std::string(trim(raw));
    if (p.empty()) continue;
    Pattern pat;
    if (p[0] == '!') {
      pat.exception = true;
      p = std::string(trim(std::string_view(p).substr(1)));
      if (p.empty()) throw UserError("illegal exclusion pattern: \"!\"");
      d.has_exceptions_ = true;
    }
    p = clean_path(p);
    if (p.size() > 1 && p[0] == '/') p.erase(0, 1);
    validate(p);
    pat.text = p;
    pat.parts = split(p);
    d.patterns_.push_back(std::move(pat));
  }
  return d;
}

DockerIgnore DockerIgnore::parse(std::string_view text, const SourceFile& file) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<std::string> lines;
  std::vector<int> numbers;
  int n = 0;
  for (size_t i = 0; i <= text.size();) {
    size_t nl = text.find('\n', i);
    auto line = text.substr(i, nl == std::string_view::npos ? std::string_view::npos : nl - i);
    ++n;
    if (!(line.size() && line[0] == '#')) {
      lines.emplace_back(line);
      numbers.push_back(n);
    }
    if (nl == std::string_view::npos) break;
    i = nl + 1;
  }
  DockerIgnore d;
  for (size_t i = 0; i < lines.size(); ++i) {
    try {
      auto one = from_patterns({lines[i]});
      d.patterns_.insert(d.patterns_.end(), one.patterns_.begin(), one.patterns_.end());
      d.has_exceptions_ |= one.has_exceptions_;
    } catch (const UserError& e) {
      throw ConfigError(SourceMark{file, numbers[i], 0}, std::string(trim(lines[i])), e.what());
    }
  }
  return d;
}

bool DockerIgnore::excluded(std::string_view path_in) const {
  std::string path = clean_path(path_in);
  if (path == ".") return false;  // the context root itself is never excluded
  auto parts = split(path);
  bool matched = false;
  for (const auto& p : patterns_) {
    if (p.exception != matched) continue;  // only what could change the answer
    bool m = match_parts(p.parts, 0, parts, 0);
    // A match on any parent directory counts: `foo` excludes `foo/bar`.
    for (size_t k = 1; !m && k < parts.size(); ++k)
      m = match_parts(p.parts, 0, std::vector<std::string>(parts.begin(), parts.begin() + k), 0);
    if (m) matched = !p.exception;
  }
  return matched;
}

bool DockerIgnore::can_skip_dir(std::string_view dir_in) const {
  if (!excluded(dir_in)) return false;
  auto dir = split(clean_path(dir_in));
  for (const auto& p : patterns_) {
    if (!p.exception) continue;
    // Could this exception match something below `dir`? Compare component by component; a `**`
    // can reach anywhere.
    bool possible = true;
    for (size_t i = 0; i < dir.size(); ++i) {
      if (i >= p.parts.size()) {
        possible = false;
        break;
      }
      if (p.parts[i].find("**") != std::string::npos) break;
      if (!glob_match(p.parts[i], dir[i])) {
        possible = false;
        break;
      }
    }
    if (possible && p.parts.size() > dir.size()) return false;
    if (possible && std::find(p.parts.begin(), p.parts.end(), std::string("**")) != p.parts.end()) return false;
  }
  return true;
}

std::vector<std::string> DockerIgnore::patterns() const {
  std::vector<std::string> out;
  for (const auto& p : patterns_) out.push_back((p.exception ? "!" : "") + p.text);
  return out;
}

}  // namespace berth::builder
