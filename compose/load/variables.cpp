#include "compose/load/variables.hpp"

#include <cctype>

namespace berth::compose::load {
namespace {

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

void add(std::map<std::string, Variable>& out, const Variable& v) {
    auto [it, fresh] = out.emplace(v.name, v);
    if (fresh) return;
    it->second.required |= v.required;
    if (it->second.default_value.empty()) it->second.default_value = v.default_value;
    if (it->second.alternate_value.empty()) it->second.alternate_value = v.alternate_value;
}

void scan(const std::string& text, std::map<std::string, Variable>& out) {
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
        if (text[i] != '$') continue;
        char next = text[i + 1];
        if (next == '$') {
            ++i;
        } else if (next == '{') {
            int depth = 1;
            std::size_t end = i + 2;
            for (; end < text.size() && depth > 0; ++end) {
                if (text[end] == '$' && end + 1 < text.size() && text[end + 1] == '{') ++depth, ++end;
                else if (text[end] == '}') --depth;
            }
            if (depth != 0) return;  // unclosed: the loader reports it
            std::string expr = text.substr(i + 2, end - 1 - (i + 2));
            i = end - 1;
            std::size_t n = 0;
            if (expr.empty() || !name_start(expr[0])) continue;
            while (n < expr.size() && name_char(expr[n])) ++n;
            Variable v{expr.substr(0, n)};
            std::size_t op = n < expr.size() && expr[n] == ':' ? n + 1 : n;
            if (op < expr.size()) {
                std::string arg = expr.substr(op + 1);
                if (expr[op] == '-') v.default_value = arg;
                else if (expr[op] == '+') v.alternate_value = arg;
                else if (expr[op] == '?') v.required = true;
                scan(arg, out);
            }
            add(out, v);
        } else if (name_start(next)) {
            std::size_t j = i + 1;
            while (j < text.size() && name_char(text[j])) ++j;
            add(out, Variable{text.substr(i + 1, j - i - 1)});
            i = j - 1;
        }
    }
}

}  // namespace

std::map<std::string, Variable> extract_variables(const std::string& yaml_text) {
    std::map<std::string, Variable> out;
    std::size_t start = 0;
    while (start < yaml_text.size()) {
        std::size_t nl = yaml_text.find('\n', start);
        std::string line = yaml_text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        std::size_t first = line.find_first_not_of(" \t");
        if (first != std::string::npos && line[first] != '#') scan(line, out);
        if (nl == std::string::npos) break;
        start = nl + 1;
    }
    return out;
}

}  // namespace berth::compose::load
