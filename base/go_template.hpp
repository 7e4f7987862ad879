#pragma once
// The subset of Go's text/template that docker and compose users pass to `--format`:
// `{{.Field}}`, `{{ .Field }}`, `{{json .Field}}`, `{{json .}}`, `{{.Label "key"}}` (from a
// "Labels" object), `\t` and `\n` written as escapes, and the `table` prefix (a header row from
// the field names, columns aligned as docker's tabwriter does). Values come from a JSON object;
// a field it does not have is one UserError naming the field and the ones there are, raised
// before anything is printed.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth {

class GoTemplate {
 public:
  // `fields`: the names a row has, in the order they are listed in an error; `what` names the
  // rows in that error ("ps", "ls"). `headers` maps a field to its table header (default: the
  // field name in upper case, as docker prints unknown ones).
  GoTemplate(const std::string& format, const std::vector<std::string>& fields, const std::string& what,
             const nlohmann::json& headers = nlohmann::json::object());

  bool table() const { return table_; }
  // One row rendered (no trailing newline).
  std::string render(const nlohmann::json& row) const;
  // The header row of a table template.
  std::string header() const;
  // Every row, with the header for a table (tab-separated cells aligned), each ending in '\n'.
  std::string render_all(const std::vector<nlohmann::json>& rows) const;

 private:
  struct Piece {
    enum class Kind { Text, Field, Json, Label } kind = Kind::Text;
    std::string text;  // literal text, field name ("" = the whole row), or label key
  };
  std::vector<Piece> pieces_;
  bool table_ = false;
  nlohmann::json headers_;
};

// Cells separated by tabs aligned into columns: each but the last padded to its widest cell plus
// three spaces, and at least `min_width` (docker's tabwriter settings; compose's own listings use 20).
std::string align_columns(const std::vector<std::string>& lines, std::size_t min_width = 0);

}  // namespace berth
