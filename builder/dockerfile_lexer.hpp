#pragma once
// Dockerfile text -> nodes (dockerfile_ast.hpp), the way BuildKit's line parser reads it:
//  - parser directives (`# syntax=`, `# escape=` ` or \, `# check=`) only in the leading comment
//    lines; a blank line, another comment or an instruction ends them; each at most once;
//  - comments are lines whose first non-blank character is `#` (a `#` elsewhere is text); comment
//    and blank lines inside a continuation are skipped (blank ones with a warning);
//  - the escape character at the end of a line (trailing blanks allowed, not itself escaped)
//    continues it; continuation lines keep their leading whitespace;
//  - instruction names are case-insensitive; `--flags` before the arguments are split off;
//  - RUN/COPY/ADD (also under ONBUILD), not in JSON form, read here-document bodies after the line.
// Errors are ConfigError "FILE:LINE: message".
#include <string_view>

#include "builder/dockerfile_ast.hpp"

namespace berth::builder {

RawDockerfile parse_dockerfile(std::string_view text, const SourceFile& file);

// Words of ENV/LABEL/ARG arguments: split on whitespace outside quotes, quotes and escapes kept
// (they are removed later, at substitution).
std::vector<std::string> split_quoted_words(std::string_view text, char escape);

}  // namespace berth::builder
