#include "compose/load/yaml_reader.hpp"

#include <libfyaml.h>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <string_view>
#include <utility>
#include <vector>
#include <memory>

namespace berth::compose::load {
namespace {

// libfyaml's event parser: a tenth of yaml-cpp's time on a 100-service file (bench/config), and
// no intermediate node graph — events become compose::Node directly.
struct ParserFree {
    void operator()(fy_parser* p) const noexcept { fy_parser_destroy(p); }
};
// Destroy, not unref: only destroy frees the errors collected on a syntax error (libFuzzer's leak
// check found them lost). The parser, which holds a reference too, is gone by then.
struct DiagFree {
    void operator()(fy_diag* d) const noexcept { fy_diag_destroy(d); }
};

// libfyaml reports a bad indentation at the token after the offending line (a line past the
// end of the file when it is the last), and an unclosed `[`/`{` at the end of the input: the
// position returned is where the user must look instead (the offending line; the opener).
std::pair<int, int> where_to_look(const std::string& text, const std::string& msg, int line, int column) {
    std::vector<size_t> starts{0};  // offsets of line starts
    for (size_t i = 0; i < text.size(); ++i)
        if (text[i] == '\n') starts.push_back(i + 1);
    auto blank = [&](size_t l) {  // 1-based line l holds nothing but spaces or a comment
        size_t i = starts[l - 1];
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
        return i >= text.size() || text[i] == '\n' || text[i] == '\r' || text[i] == '#';
    };
    if (msg.find("indentation") != std::string::npos) {
        size_t l = std::min<size_t>(static_cast<size_t>(line), starts.size()) - 1;
        while (l >= 1 && blank(l)) --l;
        if (l < 1) return {line, column};
        size_t i = starts[l - 1];
        while (i < text.size() && text[i] == ' ') ++i;
        return {static_cast<int>(l), static_cast<int>(i - starts[l - 1] + 1)};
    }
    if (msg.find("without a closing") == std::string::npos && msg.find("missing comma in flow") == std::string::npos)
        return {line, column};
    // The innermost flow collection still open: brackets outside quotes and comments, opening
    // one only where a value starts (after a space, a separator or another bracket).
    std::vector<std::pair<int, int>> open;
    int l = 1, c = 0;
    char quote = 0;
    char prev = '\n';
    for (size_t i = 0; i < text.size(); ++i) {
        char ch = text[i];
        ++c;
        if (ch == '\n') {
            ++l, c = 0, prev = ch;
            if (!quote || open.empty()) quote = 0;
            continue;
        }
        if (quote) {
            if (ch == quote) quote = 0;
        } else if (ch == '#' && (prev == ' ' || prev == '\n' || prev == '\t')) {
            while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
        } else if ((ch == '"' || ch == '\'') && std::string_view(" \t\n[{,:").find(prev) != std::string_view::npos) {
            quote = ch;
        } else if ((ch == '[' || ch == '{') && std::string_view(" \t\n[{,:-").find(prev) != std::string_view::npos) {
            open.emplace_back(l, c);
        } else if ((ch == ']' || ch == '}') && !open.empty()) {
            open.pop_back();
        }
        prev = ch;
    }
    return open.empty() ? std::pair{line, column} : open.back();
}

class Reader {
public:
    Reader(const std::string& text, const std::string& file) : text_(text), file_(file) {
        fy_diag_cfg dcfg;
        fy_diag_cfg_default(&dcfg);
        dcfg.fp = nullptr;
        dcfg.output_fn = [](fy_diag*, void*, const char*, size_t) {};  // errors are collected
        diag_.reset(fy_diag_create(&dcfg));
        if (!diag_) throw_sys(ENOMEM, "fy_diag_create", file);
        fy_diag_set_collect_errors(diag_.get(), true);
        fy_parse_cfg cfg{};
        // Sloppy flow indentation: a flow `]`/`}` at its key's column, which go-yaml (compose's
        // parser) accepts and real project files use.
        cfg.flags = static_cast<fy_parse_cfg_flags>(FYPCF_QUIET | FYPCF_SLOPPY_FLOW_INDENTATION);
        cfg.diag = diag_.get();
        parser_.reset(fy_parser_create(&cfg));
        if (!parser_ || fy_parser_set_string(parser_.get(), text.data(), text.size()) != 0)
            throw_sys(ENOMEM, "fy_parser_create", file);
    }

    // The first document (as yaml-cpp's Load, which berth used before); Null when there is none.
    Node document() {
        for (;;) {
            Event e = next();
            if (e->type == FYET_STREAM_END) return Node{};
            if (e->type != FYET_DOCUMENT_START) continue;
            Event first = next();
            if (first->type == FYET_DOCUMENT_END) return Node{};
            return node(std::move(first));
        }
    }

private:
    struct EventFree {
        fy_parser* parser;
        void operator()(fy_event* e) const noexcept { fy_parser_event_free(parser, e); }
    };
    using Event = std::unique_ptr<fy_event, EventFree>;

    Event next() {
        Event e(fy_parser_parse(parser_.get()), EventFree{parser_.get()});
        if (!e) syntax_error();
        return e;
    }

    [[noreturn]] void syntax_error() {
        void* it = nullptr;
        if (fy_diag_error* err = fy_diag_errors_iterate(diag_.get(), &it)) {
            std::string msg = err->msg ? err->msg : "invalid YAML";
            auto [line, column] = where_to_look(text_, msg, err->line + 1, err->column + 1);
            throw ConfigError({file_, line, column}, "", msg);
        }
        throw ConfigError({file_, 0, 0}, "", "invalid YAML (unexpected end of input)");
    }

    SourceMark mark(fy_event* e) const {
        const fy_mark* m = fy_event_start_mark(e);
        if (!m) return {file_, 0, 0};
        return {file_, m->line + 1, m->column + 1};
    }

    // A token libfyaml cannot format (its length estimate and its text disagree, seen with long
    // runs of '' in a quoted scalar) is an error at the value, never an empty string.
    static std::string text(fy_token* t, const Node& at) {
        if (!t) return {};
        size_t len = 0;
        const char* s = fy_token_get_text(t, &len);
        if (!s) fail(at, "", "this value cannot be read (the YAML parser could not format it)");
        return std::string(s, len);
    }

    static std::string tag(fy_event* e) {
        fy_token* t = fy_event_get_tag_token(e);
        if (!t) return {};
        const char* handle = fy_tag_token_handle0(t);
        const char* suffix = fy_tag_token_suffix0(t);
        return std::string(handle ? handle : "") + (suffix ? suffix : "");
    }

    // A key is always a string, whatever it looks like (`null: x`, `1: x`).
    Node node(Event e, bool as_key = false) {
        Node n;
        n.mark = mark(e.get());
        // Bounds: the recursion below (and every later walk of the tree) stays off the end of
        // the stack, and aliases cannot expand a small file into billions of values.
        struct Depth {
            int& d;
            explicit Depth(int& x) : d(++x) {}
            ~Depth() { --d; }
        } depth(depth_);
        if (depth_ > kMaxDepth) fail(n, "", "nested more than " + std::to_string(kMaxDepth) + " levels deep");
        const size_t values_before = values_;
        if (++values_ > kMaxValues) too_many(n);
        if (e->type == FYET_ALIAS) {
            std::string name = text(fy_event_get_token(e.get()), n);
            auto it = anchors_.find(name);
            if (it == anchors_.end()) fail(n, "", "unknown anchor \"" + name + "\"");
            values_ += it->second.second;
            aliased_ += it->second.second;
            if (values_ > kMaxValues || aliased_ > kMaxAliased) too_many(n);
            Node copy = it->second.first;
            copy.mark = n.mark;
            return copy;
        }
        std::string t = tag(e.get());
        if (t == "!reset" || t == "!override") n.tag = t;
        switch (e->type) {
            case FYET_SCALAR: {
                const fy_scalar_style style = fy_token_scalar_style(e->scalar.value);
                const bool plain = style == FYSS_PLAIN;
                // libfyaml marks a quoted scalar's first character; errors point at its opening quote
                if ((style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED) && n.mark.column > 1) --n.mark.column;
                const bool str_tag = t == "!!str" || t == "tag:yaml.org,2002:str";
                n.scalar = text(e->scalar.value, n);
                n.quoted = !plain || str_tag;
                if (plain && !str_tag && !as_key &&
                    (n.scalar.empty() || n.scalar == "~" || n.scalar == "null" || n.scalar == "Null" || n.scalar == "NULL")) {
                    n.kind = Node::Kind::Null;
                    // an empty value's position is its key's (the map sets it): errors about it read better
                    if (n.scalar.empty()) n.mark.line = n.mark.column = 0;
                    n.scalar.clear();
                } else {
                    n.kind = Node::Kind::Scalar;
                }
                break;
            }
            case FYET_SEQUENCE_START:
                n.kind = Node::Kind::Seq;
                for (Event item = next(); item->type != FYET_SEQUENCE_END; item = next())
                    n.items.push_back(node(std::move(item)));
                break;
            case FYET_MAPPING_START:
                n.kind = Node::Kind::Map;
                map_entries(n);
                break;
            default:
                fail(n, "", "unexpected YAML event");
        }
        if (fy_token* anchor = fy_event_get_anchor_token(e.get())) anchors_[text(anchor, n)] = {n, values_ - values_before};
        return n;
    }

    void map_entries(Node& n) {
        std::vector<Node> merges;
        // Keys seen, once the map is past a few: a linear search per key made a 20 000-service
        // file take seconds and an 80 000-service one a minute.
        std::unordered_map<std::string, size_t> index;
        auto find = [&](const std::string& key) -> const Node* {
            if (index.empty() && n.fields.size() < kIndexFrom) return n.find(key);
            if (index.empty())
                for (size_t i = 0; i < n.fields.size(); ++i) index.emplace(n.fields[i].first, i);
            auto it = index.find(key);
            return it == index.end() ? nullptr : &n.fields[it->second].second;
        };
        auto add = [&](std::string key, Node value) {
            if (!index.empty()) index.emplace(key, n.fields.size());
            n.fields.emplace_back(std::move(key), std::move(value));
        };
        for (Event k = next(); k->type != FYET_MAPPING_END; k = next()) {
            const bool merge_key = k->type == FYET_SCALAR && fy_token_scalar_style(k->scalar.value) == FYSS_PLAIN &&
                                   !fy_event_get_tag_token(k.get()) && text(k->scalar.value, n) == "<<";
            Node key = node(std::move(k), true);
            if (!key.is_scalar()) fail(key, "", "mapping keys must be strings");
            Node value = node(next());
            if (merge_key) {
                merges.push_back(std::move(value));
                continue;
            }
            if (const Node* prev = find(key.scalar))
                throw ConfigError(key.mark, key.scalar,
                                  "mapping key \"" + key.scalar + "\" already defined at line " + std::to_string(prev->mark.line));
            if (value.is_null() && value.mark.line == 0) value.mark = key.mark;
            add(std::move(key.scalar), std::move(value));
        }
        // `<<: *a` or `<<: [*a, *b]`: keys the map does not set itself come from the sources, in order.
        auto merge = [&](Node& source) {
            if (!source.is_map()) fail(source, "<<", "merge key needs a mapping or a list of mappings");
            for (auto& [k, v] : source.fields)
                if (!find(k)) add(std::move(k), std::move(v));
        };
        for (Node& m : merges) {
            if (!m.is_seq()) {
                merge(m);
                continue;
            }
            for (Node& source : m.items) merge(source);
        }
    }

    const std::string& text_;
    const SourceFile file_;
    std::unique_ptr<fy_diag, DiagFree> diag_;
    std::unique_ptr<fy_parser, ParserFree> parser_;
    std::map<std::string, std::pair<Node, size_t>> anchors_;  // and how many values each holds
    static constexpr int kMaxDepth = 1000;
    static constexpr size_t kIndexFrom = 16;  // keys in a map before map_entries indexes them
    static constexpr size_t kMaxValues = 10'000'000;  // a 100 MB project file holds about 2 million
    static constexpr size_t kMaxAliased = 100'000;  // values copied by aliases (real files: hundreds)
    int depth_ = 0;
    size_t values_ = 0;
    size_t aliased_ = 0;

    [[noreturn]] static void too_many(const Node& at) {
        fail(at, "", "too many values once aliases are expanded (over " + std::to_string(kMaxAliased) +
                         " copied by aliases, or " + std::to_string(kMaxValues) + " in all): an alias bomb?");
    }
};

}  // namespace

// A project file is UTF-8 text: a NUL byte or a malformed sequence is refused where it is, before
// the parser (which would read on, or take the bytes as an empty value).
void check_text(const std::string& text, const std::string& file) {
    int line = 1, column = 1;
    for (size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        bool ok = len != 0 && c != 0 && i + len <= text.size() && !(len == 2 && c < 0xC2);
        for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
        if (!ok)
            throw ConfigError({SourceFile(file), line, column}, "",
                              c == 0 ? "NUL byte in the file (a project file is text)" : "invalid UTF-8 in the file");
        if (c == '\n') ++line, column = 1;
        else ++column;
        i += len;
    }
}

Node read_yaml(const std::string& text, const std::string& file) {
    check_text(text, file);
    return Reader(text, file).document();
}

}  // namespace berth::compose::load
