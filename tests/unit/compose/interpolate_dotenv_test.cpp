// Interpolation, .env parsing and merge rules, unit by unit (whole projects: compose_fixtures).
#include <gtest/gtest.h>

#include "base/error.hpp"
#include "compose/load/dotenv.hpp"
#include "compose/load/interpolate.hpp"
#include "compose/load/merge.hpp"
#include "compose/load/yaml_reader.hpp"

namespace berth::compose::load {
namespace {

Lookup env_of(std::map<std::string, std::string> m) {
    return [m](const std::string& k) -> std::optional<std::string> {
        auto it = m.find(k);
        if (it == m.end()) return std::nullopt;
        return it->second;
    };
}

TEST(Interpolate, EveryForm) {
    auto env = env_of({{"SET", "v"}, {"EMPTY", ""}});
    EXPECT_EQ(interpolate("$SET ${SET}", env), "v v");
    EXPECT_EQ(interpolate("${UNSET:-d} ${EMPTY:-d} ${EMPTY-d}|", env), "d d |");
    EXPECT_EQ(interpolate("${SET:+alt} ${EMPTY:+alt} ${EMPTY+alt}", env), "alt  alt");
    EXPECT_EQ(interpolate("${UNSET:-${ALSO:-${SET}}}", env), "v");
    EXPECT_EQ(interpolate("$$SET $${SET}", env), "$SET ${SET}");
    EXPECT_EQ(interpolate("${EMPTY?must}", env), "");
}

TEST(Interpolate, ErrorsSayWhat) {
    auto env = env_of({{"EMPTY", ""}});
    try {
        interpolate("${EMPTY:?needs a value}", env);
        FAIL();
    } catch (const InterpolationError& e) {
        EXPECT_STREQ(e.what(), "required variable EMPTY is missing a value: needs a value");
    }
    EXPECT_THROW(interpolate("${UNCLOSED", env), InterpolationError);
    EXPECT_THROW(interpolate("cost 5$", env), InterpolationError);
    EXPECT_THROW(interpolate("${1BAD}", env), InterpolationError);
}

// A default that is not used is not read (compose neither), but it still has to be closed; a
// '{' alone opens nothing, a '}' after the closing one is text.
TEST(Interpolate, DefaultsAreReadOnlyWhenUsed) {
    auto env = env_of({{"SET", "v"}, {"EMPTY", ""}});
    EXPECT_EQ(interpolate("${SET:-$}", env), "v");
    EXPECT_EQ(interpolate("${SET:?${NOPE:-x}$$}", env), "v");
    EXPECT_EQ(interpolate("${UNSET:-{x}}", env), "{x}");
    EXPECT_EQ(interpolate("${UNSET:-a$$b}c}", env), "a$bc}");
    EXPECT_EQ(interpolate("${EMPTY:+${SET}}|${SET:+[$SET]}", env), "|[v]");
    EXPECT_THROW(interpolate("${SET:-${UNCLOSED}", env), InterpolationError);
    EXPECT_THROW(interpolate("${UNSET:-$}", env), InterpolationError);
    EXPECT_THROW(interpolate("${SET:}", env), InterpolationError);
    EXPECT_THROW(interpolate("${SET x}", env), InterpolationError);
}

// Time and memory grow with the text, not with its square; nesting has a bound.
TEST(Interpolate, NestingIsLinearAndBounded) {
    auto env = env_of({{"SET", "v"}});
    auto nested = [](int depth, const std::string& name) {
        std::string s;
        for (int i = 0; i < depth; ++i) s += "${" + name + ":-";
        s += "x";
        return s + std::string(depth, '}');
    };
    EXPECT_EQ(interpolate(nested(100, "UNSET"), env), "x");
    EXPECT_EQ(interpolate(nested(100000, "SET"), env), "v");  // skipped: scanned once
    try {
        interpolate(nested(101, "UNSET"), env);
        FAIL();
    } catch (const InterpolationError& e) {
        EXPECT_STREQ(e.what(), "interpolation nested more than 100 levels deep");
    }
    std::string wide;
    for (int i = 0; i < 100000; ++i) wide += "${UNSET:-a}";
    EXPECT_EQ(interpolate(wide, env), std::string(100000, 'a'));
}

TEST(Interpolate, TreeErrorNamesFileLineAndKey) {
    Node doc = read_yaml("services:\n  web:\n    image: \"x:${TAG:?no tag}\"\n", "/p/compose.yaml");
    try {
        interpolate_tree(doc, {});
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(), "/p/compose.yaml:3:12: services.web.image: required variable TAG is missing a value: no tag");
    }
    Node listed = read_yaml("services:\n  web:\n    command: [a, \"${X?unset}\"]\n", "/p/compose.yaml");
    try {
        interpolate_tree(listed, {});
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(), "/p/compose.yaml:3:18: services.web.command[1]: required variable X is missing a value: unset");
    }
}

TEST(Dotenv, QuotesCommentsExportAndMultiline) {
    auto vars = parse_dotenv("# comment\nexport A=1\nB='lit $A'\nC=\"x\\ny ${A}\"\nD=plain # trailing\nE=\"two\nlines\"\nF\n",
                             "/p/.env", env_of({{"F", "from-env"}}));
    std::map<std::string, std::string> m(vars.begin(), vars.end());
    EXPECT_EQ(m["A"], "1");
    EXPECT_EQ(m["B"], "lit $A");
    EXPECT_EQ(m["C"], "x\ny 1");
    EXPECT_EQ(m["D"], "plain");
    EXPECT_EQ(m["E"], "two\nlines");
    EXPECT_EQ(m["F"], "from-env");
    EXPECT_THROW(parse_dotenv("A='open\n", "/p/.env", {}), ConfigError);
}

TEST(Yaml, MergeKeysAndDuplicates) {
    Node doc = read_yaml("a: &a {x: 1, y: 2}\nb: &b {z: 3}\nc:\n  <<: [*a, *b]\n  y: 9\n", "f");
    const Node* c = doc.find("c");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->find("x")->scalar, "1");
    EXPECT_EQ(c->find("y")->scalar, "9");
    EXPECT_EQ(c->find("z")->scalar, "3");
    EXPECT_FALSE(c->has("<<"));
    EXPECT_THROW(read_yaml("a: 1\na: 2\n", "f"), ConfigError);
}

TEST(Merge, ComposeRules) {
    Node base = read_yaml(R"(services:
  web:
    image: a
    command: [x, y]
    environment: [A=1, B=2]
    ports: ["80:80"]
    volumes: ["./a:/data", "v:/other"]
    depends_on: [db]
)", "base");
    Node over = read_yaml(R"(services:
  web:
    image: b
    command: [z]
    environment: {B: "3", C: "4"}
    ports: ["81:81"]
    volumes: ["./b:/data"]
    depends_on: {cache: {condition: service_healthy}}
)", "over");
    Node m = merge_nodes(base, over);
    const Node& web = *m.find("services")->find("web");
    EXPECT_EQ(web.find("image")->scalar, "b");
    ASSERT_EQ(web.find("command")->items.size(), 1u);
    EXPECT_EQ(web.find("environment")->find("A")->scalar, "1");
    EXPECT_EQ(web.find("environment")->find("B")->scalar, "3");
    EXPECT_EQ(web.find("ports")->items.size(), 2u);
    ASSERT_EQ(web.find("volumes")->items.size(), 2u);
    EXPECT_EQ(web.find("volumes")->items[0].scalar, "./b:/data");
    EXPECT_TRUE(web.find("depends_on")->has("db"));
    EXPECT_TRUE(web.find("depends_on")->has("cache"));
    EXPECT_EQ(web.find("image")->mark.file, "over");  // merged values keep their own origin
}

TEST(Merge, ResetAndOverrideTags) {
    Node base = read_yaml("services:\n  web:\n    ports: ['1:1']\n    environment: {A: '1'}\n", "base");
    Node over = read_yaml("services:\n  web:\n    ports: !reset []\n    environment: !override {B: '2'}\n", "over");
    Node m = merge_nodes(base, over);
    strip_merge_tags(m);
    const Node& web = *m.find("services")->find("web");
    EXPECT_FALSE(web.has("ports"));
    EXPECT_FALSE(web.find("environment")->has("A"));
    EXPECT_TRUE(web.find("environment")->has("B"));
}

}  // namespace
}  // namespace berth::compose::load
