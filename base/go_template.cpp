#include "base/go_template.hpp"

#include <algorithm>
#include <cctype>

#include "base/error.hpp"

namespace berth {
namespace {

std::string trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Go's escapes as a shell passes them through single quotes.
std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 't' || s[i + 1] == 'n')) {
      out += s[++i] == 't' ? '\t' : '\n';
    } else {
      out += s[i];
    }
  }
  return out;
}

// A value as Go's template prints it: strings bare, numbers and booleans as text, the rest JSON.
std::string text_of(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

// Columns are measured in characters, not bytes ("…" in a truncated command is one).
std::size_t display_width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

GoTemplate::GoTemplate(const std::string& format, const std::vector<std::string>& fields, const std::string& what,
                       const nlohmann::json& headers)
    : headers_(headers) {
  std::string tmpl = format;
  if (tmpl.rfind("table", 0) == 0 && (tmpl.size() == 5 || std::isspace(static_cast<unsigned char>(tmpl[5])))) {
    table_ = true;
    tmpl = tmpl.substr(std::min<std::size_t>(tmpl.size(), 6));
  }
  auto known = [&](const std::string& f) {
    if (std::find(fields.begin(), fields.end(), f) != fields.end()) return;
    std::string list;
    for (const auto& n : fields) list += (list.empty() ? "" : ", ") + n;
    throw UserError("--format: " + what + " has no field ." + f + " (fields: " + list + ")");
  };
  std::size_t pos = 0;
  while (pos < tmpl.size()) {
    std::size_t open = tmpl.find("{{", pos);
    if (open == std::string::npos) {
      pieces_.push_back({Piece::Kind::Text, unescape(tmpl.substr(pos))});
      break;
    }
    if (open > pos) pieces_.push_back({Piece::Kind::Text, unescape(tmpl.substr(pos, open - pos))});
    std::size_t close = tmpl.find("}}", open + 2);
    if (close == std::string::npos) throw UserError("--format: unclosed \"{{\" in " + format);
    std::string action = trim(tmpl.substr(open + 2, close - open - 2));
    pos = close + 2;
    if (action.rfind("json", 0) == 0 && action.size() > 4 && std::isspace(static_cast<unsigned char>(action[4]))) {
      std::string arg = trim(action.substr(5));
      if (arg == ".") {
        pieces_.push_back({Piece::Kind::Json, ""});
        continue;
      }
      if (arg.size() < 2 || arg[0] != '.') throw UserError("--format: cannot render {{" + action + "}}");
      known(arg.substr(1));
      pieces_.push_back({Piece::Kind::Json, arg.substr(1)});
      continue;
    }
    if (action.rfind(".Label ", 0) == 0) {
      std::string key = trim(action.substr(7));
      if (key.size() < 2 || key.front() != '"' || key.back() != '"')
        throw UserError("--format: {{.Label}} takes a quoted key: " + action);
      known("Labels");
      pieces_.push_back({Piece::Kind::Label, key.substr(1, key.size() - 2)});
      continue;
    }
    if (action.size() < 2 || action[0] != '.' ||
        !std::all_of(action.begin() + 1, action.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }))
      throw UserError("--format: cannot render {{" + action + "}}: use {{.Field}}, {{json .Field}} or {{json .}}");
    known(action.substr(1));
    pieces_.push_back({Piece::Kind::Field, action.substr(1)});
  }
}

std::string GoTemplate::render(const nlohmann::json& row) const {
  std::string out;
  for (const auto& p : pieces_) {
    switch (p.kind) {
      case Piece::Kind::Text: out += p.text; break;
      case Piece::Kind::Field: out += row.contains(p.text) ? text_of(row[p.text]) : ""; break;
      case Piece::Kind::Json: out += p.text.empty() ? row.dump() : (row.contains(p.text) ? row[p.text].dump() : "null"); break;
      case Piece::Kind::Label: {
        // Labels may be an object or compose's "k=v,k=v" text (its --format json shape).
        if (!row.contains("Labels")) break;
        const auto& l = row["Labels"];
        if (l.is_object()) {
          if (l.contains(p.text)) out += text_of(l[p.text]);
        } else if (l.is_string()) {
          std::string s = l.get<std::string>(), want = p.text + "=";
          for (std::size_t start = 0; start <= s.size();) {
            std::size_t comma = s.find(',', start);
            std::string kv = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (kv.rfind(want, 0) == 0) {
              out += kv.substr(want.size());
              break;
            }
            if (comma == std::string::npos) break;
            start = comma + 1;
          }
        }
        break;
      }
    }
  }
  return out;
}

std::string GoTemplate::header() const {
  std::string out;
  for (const auto& p : pieces_) {
    if (p.kind == Piece::Kind::Text) {
      out += p.text;
    } else if (p.kind == Piece::Kind::Label) {
      out += "LABEL";
    } else if (headers_.contains(p.text)) {
      out += headers_[p.text].get<std::string>();
    } else {
      std::string h = p.text;
      for (auto& c : h) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out += h;
    }
  }
  return out;
}

std::string GoTemplate::render_all(const std::vector<nlohmann::json>& rows) const {
  std::vector<std::string> lines;
  if (table_) lines.push_back(header());
  for (const auto& r : rows) lines.push_back(render(r));
  if (table_) return align_columns(lines);
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string align_columns(const std::vector<std::string>& lines, std::size_t min_width) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> width;
  for (const auto& l : lines) {
    std::vector<std::string> cells;
    std::size_t start = 0;
    for (std::size_t p; (p = l.find('\t', start)) != std::string::npos; start = p + 1) cells.push_back(l.substr(start, p - start));
    cells.push_back(l.substr(start));
    for (std::size_t i = 0; i + 1 < cells.size(); ++i) {
      if (width.size() <= i) width.resize(i + 1);
      width[i] = std::max(width[i], display_width(cells[i]));
    }
    rows.push_back(std::move(cells));
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i)
      line += i + 1 < r.size() ? r[i] + std::string(std::max(width[i] + 3, min_width) - display_width(r[i]), ' ') : r[i];
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace berth
