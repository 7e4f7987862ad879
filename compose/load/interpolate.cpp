#include "compose/load/interpolate.hpp"

#include <cctype>
#include <set>

#include "base/log.hpp"

#include "compose/load/interpolation_casts.hpp"

namespace berth::compose::load {
namespace {

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

[[noreturn]] void invalid(const std::string& text) {
    // (a multi-line value is shown on one line: the error stays one line)
    std::string shown;
    for (char c : text) shown += c == '\n' ? std::string("\\n") : c == '\r' ? std::string("\\r") : std::string(1, c);
    throw InterpolationError("invalid interpolation format \"" + shown + "\"; you may need to escape any $ with another $");
}

// The end (index of the matching '}') of a braced expression starting after "${".
size_t matching_brace(const std::string& s, size_t from) {
    int depth = 1;
    for (size_t i = from; i < s.size(); ++i) {
        if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '$') {
            ++i;
        } else if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') {
            ++depth;
            ++i;
        } else if (s[i] == '}' && --depth == 0) {
            return i;
        }
    }
    return std::string::npos;
}

std::string braced(const std::string& expr, const std::string& text, const Lookup& lookup, const UnsetHook& on_unset) {
    size_t i = 0;
    if (expr.empty() || !name_start(expr[0])) invalid(text);
    while (i < expr.size() && name_char(expr[i])) ++i;
    std::string name = expr.substr(0, i);
    auto value = lookup(name);
    if (i == expr.size()) {
        if (!value && on_unset) on_unset(name);
        return value.value_or("");
    }
    bool colon = expr[i] == ':';
    if (colon) ++i;
    if (i >= expr.size()) invalid(text);
    char op = expr[i];
    std::string arg = expr.substr(i + 1);
    bool unset_or_empty = !value || (colon && value->empty());
    switch (op) {
        case '-':
            return unset_or_empty ? interpolate(arg, lookup, on_unset) : *value;
        case '?':
            if (unset_or_empty)
                throw InterpolationError("required variable " + name + " is missing a value" +
                                         (arg.empty() ? "" : ": " + interpolate(arg, lookup)));
            return *value;
        case '+':
            return unset_or_empty ? "" : interpolate(arg, lookup, on_unset);
        default:
            invalid(text);
    }
}

}  // namespace

std::string interpolate(const std::string& text, const Lookup& lookup, const UnsetHook& on_unset) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '$') {
            out.push_back(text[i]);
            continue;
        }
        if (i + 1 >= text.size()) invalid(text);
        char next = text[i + 1];
        if (next == '$') {
            out.push_back('$');
            ++i;
        } else if (next == '{') {
            size_t end = matching_brace(text, i + 2);
            if (end == std::string::npos) invalid(text);
            out += braced(text.substr(i + 2, end - i - 2), text, lookup, on_unset);
            i = end;
        } else if (name_start(next)) {
            size_t j = i + 1;
            while (j < text.size() && name_char(text[j])) ++j;
            std::string name = text.substr(i + 1, j - i - 1);
            auto value = lookup(name);
            if (!value && on_unset) on_unset(name);
            out += value.value_or("");
            i = j - 1;
        } else {
            invalid(text);
        }
    }
    return out;
}

namespace {

// The key path of a value, made into text only for an error message.
struct Step {
    const std::string* key;  // nullptr: a list item
    size_t index;
};

std::string path_text(const std::string& prefix, const std::vector<Step>& steps) {
    std::string out = prefix;
    for (const auto& s : steps) {
        if (!s.key) out += "[" + std::to_string(s.index) + "]";
        else out += (out.empty() ? "" : ".") + *s.key;
    }
    return out;
}

const std::string kListItem = "[]";

// A substituted value is a string (an unset ${X} is "", not null) unless compose types its key.
void type_substituted(Node& node, const std::vector<Step>& steps) {
    std::vector<const std::string*> path;
    path.reserve(steps.size());
    for (const auto& s : steps) path.push_back(s.key ? s.key : &kListItem);
    Cast cast = interpolation_cast(path);
    node.quoted = cast == Cast::None;
    if (cast != Cast::Boolean) return;
    // compose-go's toBoolean: YAML 1.1's words, any case
    std::string lower;
    for (char c : node.scalar) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (lower == "y" || lower == "yes" || lower == "on" || lower == "true") node.scalar = "true";
    if (lower == "n" || lower == "no" || lower == "off" || lower == "false") node.scalar = "false";
}

void interpolate_node(Node& node, const Lookup& lookup, const UnsetHook& on_unset, const std::string& prefix,
                      std::vector<Step>& steps) {
    switch (node.kind) {
        case Node::Kind::Scalar:
            if (node.scalar.find('$') == std::string::npos) return;
            try {
                node.scalar = interpolate(node.scalar, lookup, on_unset);
            } catch (const InterpolationError& e) {
                fail(node, path_text(prefix, steps), e.what());
            }
            type_substituted(node, steps);
            return;
        case Node::Kind::Seq:
            for (size_t i = 0; i < node.items.size(); ++i) {
                steps.push_back({nullptr, i});
                interpolate_node(node.items[i], lookup, on_unset, prefix, steps);
                steps.pop_back();
            }
            return;
        case Node::Kind::Map:
            for (auto& [k, v] : node.fields) {
                steps.push_back({&k, 0});
                interpolate_node(v, lookup, on_unset, prefix, steps);
                steps.pop_back();
            }
            return;
        case Node::Kind::Null:
            return;
    }
}

}  // namespace

void interpolate_tree(Node& node, const std::map<std::string, std::string>& env, const std::string& path) {
    Lookup lookup = [&env](const std::string& k) -> std::optional<std::string> {
        auto it = env.find(k);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
    // compose's words, so that scripts and people see what they know from it
    std::set<std::string> warned;
    UnsetHook on_unset = [&warned](const std::string& name) {
        if (warned.insert(name).second) log::warn("The \"{}\" variable is not set. Defaulting to a blank string.", name);
    };
    std::vector<Step> steps;
    interpolate_node(node, lookup, on_unset, path, steps);
}

}  // namespace berth::compose::load
