#include "compose/load/yaml_reader.hpp"

#include <libfyaml.h>

#include <map>
#include <memory>

namespace berth::compose::load {
namespace {

// libfyaml's event parser: a tenth of yaml-cpp's time on a 100-service file (bench/config), and
// no intermediate node graph — events become compose::Node directly.
struct ParserFree {
    void operator()(fy_parser* p) const noexcept { fy_parser_destroy(p); }
};
struct DiagFree {
    void operator()(fy_diag* d) const noexcept { fy_diag_unref(d); }
};

class Reader {
public:
    Reader(const std::string& text, const std::string& file) : file_(file) {
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
        if (fy_diag_error* err = fy_diag_errors_iterate(diag_.get(), &it))
            throw ConfigError({file_, err->line + 1, err->column + 1}, "", err->msg ? err->msg : "invalid YAML");
        throw ConfigError({file_, 0, 0}, "", "invalid YAML (unexpected end of input)");
    }

    SourceMark mark(fy_event* e) const {
        const fy_mark* m = fy_event_start_mark(e);
        if (!m) return {file_, 0, 0};
        return {file_, m->line + 1, m->column + 1};
    }

    static std::string text(fy_token* t) {
        size_t len = 0;
        const char* s = t ? fy_token_get_text(t, &len) : nullptr;
        return s ? std::string(s, len) : std::string();
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
        if (e->type == FYET_ALIAS) {
            std::string name = text(fy_event_get_token(e.get()));
            auto it = anchors_.find(name);
            if (it == anchors_.end()) fail(n, "", "unknown anchor \"" + name + "\"");
            Node copy = it->second;
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
                n.scalar = text(e->scalar.value);
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
        if (fy_token* anchor = fy_event_get_anchor_token(e.get())) anchors_[text(anchor)] = n;
        return n;
    }

    void map_entries(Node& n) {
        std::vector<Node> merges;
        for (Event k = next(); k->type != FYET_MAPPING_END; k = next()) {
            const bool merge_key = k->type == FYET_SCALAR && fy_token_scalar_style(k->scalar.value) == FYSS_PLAIN &&
                                   !fy_event_get_tag_token(k.get()) && text(k->scalar.value) == "<<";
            Node key = node(std::move(k), true);
            if (!key.is_scalar()) fail(key, "", "mapping keys must be strings");
            Node value = node(next());
            if (merge_key) {
                merges.push_back(std::move(value));
                continue;
            }
            if (const Node* prev = n.find(key.scalar))
                throw ConfigError(key.mark, key.scalar,
                                  "mapping key \"" + key.scalar + "\" already defined at line " + std::to_string(prev->mark.line));
            if (value.is_null() && value.mark.line == 0) value.mark = key.mark;
            n.fields.emplace_back(std::move(key.scalar), std::move(value));
        }
        // `<<: *a` or `<<: [*a, *b]`: keys the map does not set itself come from the sources, in order.
        auto merge = [&n](Node& source) {
            if (!source.is_map()) fail(source, "<<", "merge key needs a mapping or a list of mappings");
            for (auto& [k, v] : source.fields)
                if (!n.has(k)) n.fields.emplace_back(std::move(k), std::move(v));
        };
        for (Node& m : merges) {
            if (!m.is_seq()) {
                merge(m);
                continue;
            }
            for (Node& source : m.items) merge(source);
        }
    }

    const SourceFile file_;
    std::unique_ptr<fy_diag, DiagFree> diag_;
    std::unique_ptr<fy_parser, ParserFree> parser_;
    std::map<std::string, Node> anchors_;
};

}  // namespace

Node read_yaml(const std::string& text, const std::string& file) { return Reader(text, file).document(); }

}  // namespace berth::compose::load
