#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "compose/load/yaml_reader.hpp"
#include "compose/normalize/yaml_writer.hpp"
#include "compose/tree.hpp"

using berth::compose::yaml_text;
using nlohmann::json;

namespace {
json read_back(const std::string& yaml) { return to_json(berth::compose::load::read_yaml(yaml, "t.yaml")); }
}  // namespace

TEST(YamlWriter, BlockStyleIndentedByTwo) {
    json j = json::parse(R"({"name": "demo", "services": {"web": {"command": ["sh", "-c", "echo hi"],
        "ports": [{"target": 80, "published": "8080"}], "labels": {}, "x": [[1, 2], []], "tty": true, "e": null}}})");
    EXPECT_EQ(yaml_text(j),
              "name: demo\n"
              "services:\n"
              "  web:\n"
              "    command:\n"
              "      - sh\n"
              "      - -c\n"
              "      - echo hi\n"
              "    e: null\n"
              "    labels: {}\n"
              "    ports:\n"
              "      - published: \"8080\"\n"
              "        target: 80\n"
              "    tty: true\n"
              "    x:\n"
              "      - - 1\n"
              "        - 2\n"
              "      - []\n");
}

// Every string that a YAML reader could take for something else, or that breaks the block syntax,
// is quoted; the text reads back as the same JSON.
TEST(YamlWriter, StringsReadBackAsTheSameStrings) {
    const char* strings[] = {"", " lead", "trail ", "true", "False", "yes", "No", "on", "OFF", "y", "null", "~",
                             "NULL", "1", "-1", "1.5", "1e3", ".inf", "-.inf", ".NaN", "0x1f", "0o17", "1_000",
                             "12:30", "1.2.3", "- item", "-", "--port", "?", "? x", ":", "a: b", "a #b", "a#b",
                             "key:", "#comment", "&anchor", "*alias", "!tag", "|", ">", "'q'", "\"dq\"", "%x",
                             "@x", "`x", "{a: 1}", "[1]", ",x", "---", "...", "<<", "line\nbreak", "tab\there",
                             "back\\slash", "ünïcödé", "http://x:80/a?b=c#d", "postgres://a:b@db/x", "${VAR}", "$$",
                             "a: ", "CMD-SHELL", "0", "007", "+1"};
    json j = json::object();
    json list = json::array();
    for (const char* s : strings) {
        j[std::string("k") + s] = s;
        list.push_back(s);
    }
    j["list"] = list;
    json keys = json::object();
    for (const char* s : strings) keys[s] = 1;
    j["keys"] = keys;
    const std::string yaml = yaml_text(j);
    EXPECT_EQ(read_back(yaml), j) << yaml;
}

TEST(YamlWriter, PlainWhereSafe) {
    EXPECT_EQ(yaml_text(json{{"image", "registry.example.com/app:1.0"}}), "image: registry.example.com/app:1.0\n");
    EXPECT_EQ(yaml_text(json{{"v", "1.0"}}), "v: \"1.0\"\n");
    EXPECT_EQ(yaml_text(json{{"v", "a: b"}}), "v: \"a: b\"\n");
}
