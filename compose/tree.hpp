// The project file as a tree that remembers where every value came from (file, line, column).
// YAML is read into this form once (compose/load/yaml_reader): aliases become copies, `<<` merge
// keys are applied and duplicate keys refused, so the rest of the loader (interpolation, merge,
// extends, include) and the normalizer work on plain values whose errors can always name the
// file and line, even after several files were merged.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace berth::compose {

struct Node {
    enum class Kind { Null, Scalar, Seq, Map };
    Kind kind = Kind::Null;
    std::string scalar;   // Scalar
    bool quoted = false;  // Scalar written in quotes (a string whatever it looks like)
    std::string tag;      // "!reset", "!override", or "" (plain)
    std::vector<Node> items;                           // Seq
    std::vector<std::pair<std::string, Node>> fields;  // Map, in file order
    SourceMark mark;

    bool is_null() const { return kind == Kind::Null; }
    bool is_scalar() const { return kind == Kind::Scalar; }
    bool is_seq() const { return kind == Kind::Seq; }
    bool is_map() const { return kind == Kind::Map; }

    const Node* find(const std::string& key) const;
    Node* find(const std::string& key);
    bool has(const std::string& key) const { return find(key) != nullptr; }
    // Inserts or replaces; returns the stored node.
    Node& set(const std::string& key, Node value);
    bool erase(const std::string& key);

    // Out of line (tree.cpp): clang with libstdc++ checks pair<string, Node> for default
    // constructibility while defining Node's implicit constructor, and fails on the recursion.
    Node();

    static Node make_scalar(std::string s, SourceMark m = {}) {
        Node n;
        n.kind = Kind::Scalar;
        n.scalar = std::move(s);
        n.mark = std::move(m);
        return n;
    }
    static Node make_map(SourceMark m = {}) {
        Node n;
        n.kind = Kind::Map;
        n.mark = std::move(m);
        return n;
    }
    static Node make_seq(SourceMark m = {}) {
        Node n;
        n.kind = Kind::Seq;
        n.mark = std::move(m);
        return n;
    }
};

// JSON as YAML 1.2's core schema types it (compose-go's view): plain true/false are booleans,
// plain numbers are numbers, plain null/~/empty are null; quoted scalars are strings. Entries
// tagged `!reset` are instructions for the merge of files, not content: they are left out.
nlohmann::json to_json(const Node& n);

// The node at a key path ("services","web","ports","0"), or nullptr.
const Node* find_path(const Node& root, const std::vector<std::string>& path);

// A ConfigError at this node: "file:line:col: path: message".
[[noreturn]] void fail(const Node& at, const std::string& path, const std::string& message);

}  // namespace berth::compose
