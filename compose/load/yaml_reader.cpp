#include "compose/load/yaml_reader.hpp"

#include <yaml-cpp/yaml.h>

namespace berth::compose::load {
namespace {

SourceMark mark_of(const YAML::Node& n, const std::string& file) {
    auto m = n.Mark();
    if (m.is_null()) return {file, 0, 0};
    return {file, m.line + 1, m.column + 1};
}

Node convert(const YAML::Node& y, const std::string& file);

// `<<: *a` or `<<: [*a, *b]`: keys the map does not set itself come from the sources, in order.
void apply_merge(Node& out, const YAML::Node& src, const std::string& file) {
    std::vector<Node> sources;
    if (src.IsSequence()) {
        for (const auto& s : src) sources.push_back(convert(s, file));
    } else {
        sources.push_back(convert(src, file));
    }
    for (const auto& s : sources) {
        if (!s.is_map()) fail(s, "<<", "merge key needs a mapping or a list of mappings");
        for (const auto& [k, v] : s.fields)
            if (!out.has(k)) out.fields.emplace_back(k, v);
    }
}

Node convert(const YAML::Node& y, const std::string& file) {
    Node n;
    n.mark = mark_of(y, file);
    const std::string& tag = y.Tag();
    if (tag == "!reset" || tag == "!override") n.tag = tag;
    switch (y.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null:
            n.kind = Node::Kind::Null;
            break;
        case YAML::NodeType::Scalar:
            n.kind = Node::Kind::Scalar;
            n.scalar = y.Scalar();
            n.quoted = tag == "!" || tag == "tag:yaml.org,2002:str";
            break;
        case YAML::NodeType::Sequence:
            n.kind = Node::Kind::Seq;
            for (const auto& item : y) n.items.push_back(convert(item, file));
            break;
        case YAML::NodeType::Map: {
            n.kind = Node::Kind::Map;
            std::vector<YAML::Node> merges;
            for (const auto& kv : y) {
                if (!kv.first.IsScalar()) fail(convert(kv.first, file), "", "mapping keys must be strings");
                std::string key = kv.first.Scalar();
                if (key == "<<" && kv.first.Tag() == "?") {
                    merges.push_back(kv.second);
                    continue;
                }
                if (const Node* prev = n.find(key))
                    throw ConfigError(mark_of(kv.first, file), key,
                                      "mapping key \"" + key + "\" already defined at line " + std::to_string(prev->mark.line));
                Node value = convert(kv.second, file);
                // the key's position is the useful one for errors about a null value
                if (value.is_null() && value.mark.line == 0) value.mark = mark_of(kv.first, file);
                n.fields.emplace_back(key, std::move(value));
            }
            for (const auto& m : merges) apply_merge(n, m, file);
            break;
        }
    }
    return n;
}

}  // namespace

Node read_yaml(const std::string& text, const std::string& file) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw ConfigError({file, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1}, "",
                          e.msg);
    }
    return convert(root, file);
}

}  // namespace berth::compose::load
