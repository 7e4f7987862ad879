// Every project under tests/fixtures/compose/<case>/ is loaded through compose::load_project with a
// fixed environment and compared with <case>/expected.json (what `berth config --format json`
// prints); every case under errors/<case>/ must fail with the one line in expected_error.txt.
//
// Optional <case>/case.json: {"files": [...], "env": {...}, "env_files": [...], "profiles": [...],
// "services": [...], "project_name": "...", "interpolate": false}. Without "files" the loader
// discovers the project file from the case folder, as `berth config` run there would.
//
// Paths: the fixtures folder is written as "/fixtures" in expected output, so the expectations
// do not depend on where the repository is checked out.
//
// To (re)generate expectations: BERTH_UPDATE_FIXTURES=1 ./unit_compose_fixtures — then READ them.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "compose/load.hpp"
#include "compose/load/yaml_reader.hpp"

namespace berth::compose {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kRoot = fs::path(BERTH_FIXTURES_DIR) / "compose";
constexpr const char* kPlaceholder = "/fixtures";

bool updating() {
    const char* v = std::getenv("BERTH_UPDATE_FIXTURES");
    return v && std::string(v) == "1";
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void spit(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    if (from.empty()) return;
    for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
        s.replace(pos, from.size(), to);
}

// Replaces the real location of the fixtures with kPlaceholder (both as given and canonical).
std::string relocate(std::string text) {
    std::string canonical = fs::weakly_canonical(kRoot).string();
    std::string given = kRoot.lexically_normal().string();
    replace_all(text, canonical, kPlaceholder);
    if (given != canonical) replace_all(text, given, kPlaceholder);
    return text;
}

std::vector<std::string> list_cases(const fs::path& dir) {
    std::vector<std::string> out;
    if (!fs::is_directory(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_directory() && e.path().filename() != "errors") out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> strings(const json& meta, const char* key) {
    std::vector<std::string> out;
    if (meta.contains(key))
        for (const auto& v : meta[key]) out.push_back(v.get<std::string>());
    return out;
}

LoadOptions options_for(const fs::path& dir) {
    json meta = json::object();
    if (fs::exists(dir / "case.json")) meta = json::parse(slurp(dir / "case.json"));
    LoadOptions o;
    o.working_dir = dir.string();
    for (const auto& f : strings(meta, "files")) o.files.push_back((dir / f).string());
    for (const auto& f : strings(meta, "env_files")) o.env_files.push_back((dir / f).string());
    o.profiles = strings(meta, "profiles");
    o.explicit_services = strings(meta, "services");
    o.project_name = meta.value("project_name", std::string());
    o.interpolate = meta.value("interpolate", true);
    // A fixed, small environment: the host's must not leak into expectations.
    std::map<std::string, std::string> env{{"HOME", "/home/tester"}, {"USER", "tester"}, {"PATH", "/usr/bin:/bin"}};
    if (meta.contains("env"))
        for (const auto& [k, v] : meta["env"].items()) env[k] = v.get<std::string>();
    o.env = env;
    return o;
}

class ComposeFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(ComposeFixture, LoadsToExpectedJson) {
    fs::path dir = kRoot / GetParam();
    std::string actual;
    try {
        actual = relocate(to_json(load_project(options_for(dir)), 2));
    } catch (const std::exception& e) {
        FAIL() << GetParam() << ": load failed: " << relocate(describe(e));
    }
    fs::path expected_file = dir / "expected.json";
    if (updating()) {
        spit(expected_file, actual + (actual.ends_with("\n") ? "" : "\n"));
        return;
    }
    ASSERT_TRUE(fs::exists(expected_file)) << expected_file << " missing; run with BERTH_UPDATE_FIXTURES=1 and read it";
    json expected = json::parse(slurp(expected_file));
    json got = json::parse(actual);
    EXPECT_EQ(got, expected) << GetParam() << ": differences (RFC 6902 patch from expected to actual):\n"
                             << json::diff(expected, got).dump(2);
}

// `config` prints YAML: reading it back must give exactly what `config --format json` prints.
TEST_P(ComposeFixture, YamlRenderingReadsBackAsTheJson) {
    fs::path dir = kRoot / GetParam();
    Project p;
    try {
        p = load_project(options_for(dir));
    } catch (const std::exception& e) {
        FAIL() << GetParam() << ": load failed: " << relocate(describe(e));
    }
    const std::string yaml = to_yaml(p);
    json back = to_json(berth::compose::load::read_yaml(yaml, "rendered.yaml"));
    EXPECT_EQ(back, json::parse(to_json(p, 2))) << yaml;
}

// `config` output is a project file: loaded again (same directory, environment and options) it
// must give the same output, e.g. a literal `$` printed as `$$`, not interpolated a second time.
void expect_round_trip(const LoadOptions& opts, const std::string& what) {
    Project p;
    try {
        p = load_project(opts);
    } catch (const std::exception& e) {
        FAIL() << what << ": load failed: " << describe(e);
    }
    const std::string first = to_json(p, 2);
    LoadOptions again = opts;
    again.files = {"-"};
    again.stdin_content = to_yaml(p);
    again.project_directory = p.working_dir;
    std::string second;
    try {
        second = to_json(load_project(again), 2);
    } catch (const std::exception& e) {
        FAIL() << what << ": config output does not load: " << describe(e) << "\n" << again.stdin_content;
    }
    EXPECT_EQ(json::parse(second), json::parse(first))
        << what << ": (RFC 6902 patch from first to second load):\n"
        << json::diff(json::parse(first), json::parse(second)).dump(2);
}

TEST_P(ComposeFixture, ConfigOutputLoadsAgainToTheSame) {
    expect_round_trip(options_for(kRoot / GetParam()), GetParam());
}

// Keys berth accepts without acting on them are listed (the commands warn once about each), with
// where they are written; none is refused.
TEST(ComposeFixtures, NewerKeysAreAcceptedAndListedAsIgnored) {
    Project p = load_project(options_for(kRoot / "newer_compose_keys"));
    std::string all;
    for (const auto& i : p.ignored) all += relocate(i) + "\n";
    for (const char* key : {"compose.yaml:6: services.web.use_api_socket", "services.web.pre_start",
                            "services.web.networks.front.gw_priority", "services.web.models", "services.db.provider",
                            ": models"})
        EXPECT_NE(all.find(key), std::string::npos) << key << " not in:\n" << all;
    // post_start and pre_stop hooks are run (compose/orchestrate/service_hooks.hpp)
    for (const char* key : {"services.web.post_start", "services.web.pre_stop"})
        EXPECT_EQ(all.find(key), std::string::npos) << key << " in:\n" << all;
    EXPECT_EQ(p.ignored.size(), 6u) << all;
    // develop.watch is read by `berth watch`: kept, not listed
    EXPECT_EQ(all.find("develop"), std::string::npos) << all;
    EXPECT_TRUE(p.services.at("web").extensions.count("develop"));
}

TEST(ComposeExamples, ConfigOutputLoadsAgainToTheSame) {
    const fs::path examples = fs::path(BERTH_FIXTURES_DIR) / ".." / ".." / "examples";
    int n = 0;
    for (const auto& e : fs::directory_iterator(examples)) {
        if (!e.is_directory()) continue;
        LoadOptions o;
        o.working_dir = e.path().string();
        o.env = std::map<std::string, std::string>{{"HOME", "/home/tester"}, {"PATH", "/usr/bin:/bin"}};
        expect_round_trip(o, e.path().filename().string());
        ++n;
    }
    EXPECT_GE(n, 4);
}

std::string first_line(std::string s) {
    s = s.substr(0, s.find('\n'));
    while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

class ComposeErrorFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(ComposeErrorFixture, FailsWithExpectedMessage) {
    fs::path dir = kRoot / "errors" / GetParam();
    std::string message;
    int code = 0;
    try {
        Project p = load_project(options_for(dir));
        FAIL() << GetParam() << ": loaded without error:\n" << relocate(to_json(p, 2));
    } catch (const std::exception& e) {
        message = relocate(describe(e));
        code = exit_code_for(e);
    }
    EXPECT_EQ(code, 1) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
    fs::path expected_file = dir / "expected_error.txt";
    if (updating()) {
        spit(expected_file, message + "\n");
        return;
    }
    ASSERT_TRUE(fs::exists(expected_file)) << expected_file << " missing; run with BERTH_UPDATE_FIXTURES=1 and read it";
    EXPECT_EQ(message, first_line(slurp(expected_file)));
}

std::string case_name(const ::testing::TestParamInfo<std::string>& info) {
    std::string n = info.param;
    std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    return n;
}

INSTANTIATE_TEST_SUITE_P(Compose, ComposeFixture, ::testing::ValuesIn(list_cases(kRoot)), case_name);
INSTANTIATE_TEST_SUITE_P(Compose, ComposeErrorFixture, ::testing::ValuesIn(list_cases(kRoot / "errors")), case_name);

TEST(ComposeFixtures, ThereAreEnough) {
    EXPECT_GE(list_cases(kRoot).size(), 40u);
    EXPECT_GE(list_cases(kRoot / "errors").size(), 15u);
}

}  // namespace
}  // namespace berth::compose
