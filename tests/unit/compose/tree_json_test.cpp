// compose::to_json: how the loader's tree is typed for the schema (YAML 1.2 core schema).
#include <gtest/gtest.h>

#include "compose/load/yaml_reader.hpp"
#include "compose/tree.hpp"

namespace berth::compose {
namespace {

using nlohmann::json;

json typed(const std::string& plain) { return to_json(Node::make_scalar(plain)); }

TEST(TreeJson, PlainScalarsAreTypedAsTheCoreSchemaSays) {
    EXPECT_EQ(typed("42"), json(42));
    EXPECT_EQ(typed("-7"), json(-7));
    EXPECT_EQ(typed("+7"), json(7));
    EXPECT_EQ(typed("0x1f"), json(31));
    EXPECT_EQ(typed("0o17"), json(15));
    EXPECT_EQ(typed("1.5"), json(1.5));
    EXPECT_EQ(typed("1."), json(1.0));
    EXPECT_EQ(typed(".5"), json(0.5));
    EXPECT_EQ(typed("-2.5e3"), json(-2500.0));
    EXPECT_EQ(typed("1E-2"), json(0.01));
    EXPECT_EQ(typed("true"), json(true));
    EXPECT_EQ(typed("FALSE"), json(false));
    EXPECT_EQ(typed("~"), json(nullptr));
    EXPECT_EQ(typed(""), json(nullptr));
    // Not numbers: strings as written.
    for (const char* s : {"-", "+", ".", "1e", "1e+", "e3", "0x", "0o8", "0xg", "1_000", "1.2.3", "80:80", "12a",
                          "0b101", "yes", " 1", "1 ", "--1", ".e1"})
        EXPECT_EQ(typed(s), json(s)) << s;
    // Too large for a 64-bit integer: a number still (as a float), not an error.
    EXPECT_TRUE(typed("99999999999999999999").is_number_float());
    Node quoted = Node::make_scalar("42");
    quoted.quoted = true;
    EXPECT_EQ(to_json(quoted), json("42"));
}

TEST(TreeJson, ResetEntriesAreMergeInstructionsNotContent) {
    Node doc = load::read_yaml("a: !reset []\nb: 1\nc: [1, !reset 2, 3]\nd: !override {x: 1}\n", "f.yaml");
    EXPECT_EQ(to_json(doc), json::parse(R"({"b": 1, "c": [1, 3], "d": {"x": 1}})"));
}

}  // namespace
}  // namespace berth::compose
