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

// One pass over the text, each character read once (a skipped default is scanned once more):
// nested defaults such as ${A:-${A:-...}} are linear, where taking each level's text apart again
// made an 84 kB value take 24 s and 1.2 GB.
class Interpolation {
public:
    Interpolation(const std::string& text, const Lookup& lookup, const UnsetHook& on_unset)
        : t_(text), lookup_(lookup), on_unset_(on_unset) {}

    std::string run() {
        size_t pos = 0;
        return until(pos, false, 0);
    }

private:
    static constexpr int kMaxNesting = 100;  // ${...} inside ${...}: real files use a few

    [[noreturn]] void invalid() const { load::invalid(t_); }

    // A bare $NAME or ${NAME}: an unset one is reported (compose warns), then blank.
    std::string value_of(const std::string& name) {
        auto value = lookup_(name);
        if (!value && on_unset_) on_unset_(name);
        return value.value_or("");
    }

    // From pos to the end of the text or, inside braces, to the '}' that closes them (left at pos).
    std::string until(size_t& pos, bool in_braces, int depth) {
        std::string out;
        while (pos < t_.size()) {
            char c = t_[pos];
            if (c == '}' && in_braces) return out;
            if (c != '$') {
                out.push_back(c);
                ++pos;
                continue;
            }
            if (pos + 1 >= t_.size()) invalid();
            char next = t_[pos + 1];
            if (next == '$') {
                out.push_back('$');
                pos += 2;
            } else if (next == '{') {
                pos += 2;
                out += braced(pos, depth + 1);
            } else if (name_start(next)) {
                size_t j = pos + 1;
                while (j < t_.size() && name_char(t_[j])) ++j;
                out += value_of(t_.substr(pos + 1, j - pos - 1));
                pos = j;
            } else {
                invalid();
            }
        }
        if (in_braces) invalid();  // unclosed
        return out;
    }

    // Past a default that is not used, to its closing '}' (left at pos); $$ and nested ${ counted.
    void skip(size_t& pos) const {
        int depth = 1;
        for (; pos < t_.size(); ++pos) {
            if (t_[pos] == '$' && pos + 1 < t_.size() && (t_[pos + 1] == '$' || t_[pos + 1] == '{')) {
                if (t_[pos + 1] == '{') ++depth;
                ++pos;
            } else if (t_[pos] == '}' && --depth == 0) {
                return;
            }
        }
        invalid();
    }

    // After "${": the expression's value; pos ends past its '}'.
    std::string braced(size_t& pos, int depth) {
        if (depth > kMaxNesting)
            throw InterpolationError("interpolation nested more than " + std::to_string(kMaxNesting) + " levels deep");
        size_t start = pos;
        if (pos >= t_.size() || !name_start(t_[pos])) invalid();
        while (pos < t_.size() && name_char(t_[pos])) ++pos;
        std::string name = t_.substr(start, pos - start);
        if (pos >= t_.size()) invalid();
        auto value = lookup_(name);
        if (t_[pos] == '}') {
            ++pos;
            if (!value && on_unset_) on_unset_(name);
            return value.value_or("");
        }
        bool colon = t_[pos] == ':';
        if (colon) ++pos;
        if (pos >= t_.size()) invalid();
        char op = t_[pos++];
        if (op != '-' && op != '?' && op != '+') invalid();
        bool unset_or_empty = !value || (colon && value->empty());
        bool use_arg = op == '+' ? !unset_or_empty : unset_or_empty;
        std::string arg;
        if (use_arg)
            arg = until(pos, true, depth);
        else
            skip(pos);
        ++pos;  // the closing '}'
        switch (op) {
            case '-':
                return unset_or_empty ? arg : *value;
            case '?':
                if (unset_or_empty)
                    throw InterpolationError("required variable " + name + " is missing a value" + (arg.empty() ? "" : ": " + arg));
                return *value;
            default:  // '+'
                return unset_or_empty ? "" : arg;
        }
    }

    const std::string& t_;
    const Lookup& lookup_;
    const UnsetHook& on_unset_;
};

}  // namespace

std::string interpolate(const std::string& text, const Lookup& lookup, const UnsetHook& on_unset) {
    return Interpolation(text, lookup, on_unset).run();
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
