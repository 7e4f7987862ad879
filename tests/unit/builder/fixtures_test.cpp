// Real-world style Dockerfiles (tests/fixtures/dockerfiles) parsed into their stage structure.
#include <gtest/gtest.h>

#include "base/file_io.hpp"
#include "builder/dockerfile_stages.hpp"

using namespace berth::builder;

namespace {
std::string fixture(const std::string& name) {
  return berth::read_file(std::string(BERTH_FIXTURES_DIR) + "/dockerfiles/" + name);
}
Dockerfile load(const std::string& name, const std::map<std::string, std::string>& args = {}) {
  return load_dockerfile(fixture(name), "Dockerfile", args);
}
}  // namespace

TEST(DockerfileFixtures, GoMultistageWithCacheMountsAndContinuations) {
  auto df = load("go-multistage.Dockerfile");
  ASSERT_EQ(df.raw.directives.size(), 1u);
  EXPECT_EQ(df.raw.directives[0].name, "syntax");
  EXPECT_EQ(df.meta_args.at("GO_VERSION"), "1.22");
  ASSERT_EQ(df.stages.size(), 2u);
  EXPECT_EQ(df.stages[0].name, "build");
  EXPECT_EQ(df.stages[0].base, "golang:1.22-alpine");
  EXPECT_EQ(df.stages[0].platform, "");  // BUILDPLATFORM not given: empty
  EXPECT_EQ(df.stages[0].from.flag("platform"), "$BUILDPLATFORM");
  const auto& run = df.stages[0].instructions[1];
  EXPECT_EQ(run.keyword, "run");
  EXPECT_EQ(run.line, 8);
  EXPECT_EQ(run.end_line, 11);
  ASSERT_EQ(run.mounts.size(), 3u);
  EXPECT_EQ(run.mounts[0].type, "cache");
  EXPECT_EQ(run.mounts[0].target, "/go/pkg/mod");
  EXPECT_EQ(run.mounts[0].id, "/go/pkg/mod");
  EXPECT_EQ(run.mounts[1].source, "go.sum");
  EXPECT_TRUE(run.mounts[1].readonly);
  EXPECT_EQ(run.args, std::vector<std::string>{"go mod download -x"});
  const auto& args = df.stages[0].instructions[2];
  ASSERT_EQ(args.decls.size(), 2u);
  EXPECT_EQ(args.decls[1].first, "TARGETARCH");
  EXPECT_FALSE(args.decls[1].second);
  const auto& apk = df.stages[1].instructions[0];
  // Continuation lines keep their leading blanks; only the escape and newline go.
  EXPECT_EQ(apk.args[0], "apk --update add         ca-certificates         tzdata         &&         update-ca-certificates");
  EXPECT_EQ(df.stages[1].base, "alpine:3.19");
  EXPECT_EQ(df.stages[1].depends_on, (std::set<int>{0}));
  const auto& ep = df.stages[1].instructions.back();
  EXPECT_TRUE(ep.json);
  EXPECT_EQ(ep.args, std::vector<std::string>{"/bin/server"});
}

TEST(DockerfileFixtures, NodeAppEnvFormsAndHealthcheck) {
  auto df = load("node-app.Dockerfile");
  ASSERT_EQ(df.stages.size(), 3u);
  EXPECT_EQ(df.stages[1].depends_on, (std::set<int>{0}));
  EXPECT_EQ(df.stages[2].depends_on, (std::set<int>{1}));
  const auto& legacy = df.stages[1].instructions[3];
  ASSERT_EQ(legacy.pairs.size(), 1u);
  EXPECT_EQ(legacy.pairs[0], (std::pair<std::string, std::string>{"NEXT_TELEMETRY_DISABLED", "1"}));
  const auto& env = df.stages[2].instructions[1];
  ASSERT_EQ(env.pairs.size(), 2u);
  EXPECT_EQ(env.pairs[1].first, "NEXT_TELEMETRY_DISABLED");
  const auto& copy = df.stages[2].instructions[4];
  EXPECT_EQ(copy.flag("from"), "builder");
  EXPECT_EQ(copy.flag("chown"), "nextjs:nodejs");
  EXPECT_EQ(copy.args, (std::vector<std::string>{"/app/.next/standalone", "./"}));
  const Instruction* hc = nullptr;
  for (const auto& i : df.stages[2].instructions)
    if (i.keyword == "healthcheck") hc = &i;
  ASSERT_TRUE(hc && hc->healthcheck);
  EXPECT_EQ(hc->healthcheck->test.at(0), "CMD-SHELL");
  EXPECT_EQ(hc->healthcheck->interval_ns, 30'000'000'000);
  EXPECT_EQ(hc->healthcheck->start_period_ns, 10'000'000'000);
  EXPECT_EQ(hc->healthcheck->retries, 3);
  EXPECT_EQ(resolve_target(df, ""), 2);
  EXPECT_EQ(stages_needed(df, resolve_target(df, "BUILDER")), (std::vector<int>{0, 1}));
}

TEST(DockerfileFixtures, PythonCommentsInsideContinuationAreDropped) {
  auto df = load("python-debian.Dockerfile");
  ASSERT_EQ(df.stages.size(), 1u);
  const auto& ins = df.stages[0].instructions;
  EXPECT_EQ(ins[0].keyword, "label");
  EXPECT_EQ(ins[0].pairs.at(1).second, "\"A small Flask app\"");  // quotes go at substitution
  const auto& run = ins[2];
  EXPECT_EQ(run.line, 11);
  EXPECT_EQ(run.end_line, 20);
  EXPECT_EQ(run.args[0].find("#"), std::string::npos);
  EXPECT_NE(run.args[0].find("gcc"), std::string::npos);
  EXPECT_NE(run.args[0].find("curl"), std::string::npos);
  EXPECT_EQ(ins[7].keyword, "volume");
  EXPECT_TRUE(ins[7].json);
  EXPECT_EQ(ins[7].args, (std::vector<std::string>{"/data", "/var/log/app"}));
  EXPECT_EQ(ins[8].args, std::vector<std::string>{"SIGINT"});
}

TEST(DockerfileFixtures, BacktickEscapeDirective) {
  auto df = load("windows-escape.Dockerfile");
  EXPECT_EQ(df.raw.escape, '`');
  const auto& ins = df.stages[0].instructions;
  EXPECT_EQ(ins[0].keyword, "shell");
  EXPECT_EQ(ins[0].args.at(2), "$ErrorActionPreference = 'Stop';");
  EXPECT_EQ(ins[1].args[0], "New-Item -ItemType Directory C:\\Example ;     Add-Content C:\\Example\\log.txt \"hello\" ;     Write-Host done");
  EXPECT_EQ(ins[2].args[0], "C:\\Example");
  // With ` as escape a trailing backslash is a plain character, not a continuation.
  EXPECT_EQ(ins[3].args, (std::vector<std::string>{"testfile.txt", "c:\\"}));
}

TEST(DockerfileFixtures, Heredocs) {
  auto df = load("heredocs.Dockerfile");
  const auto& ins = df.stages[0].instructions;
  ASSERT_EQ(ins[1].heredocs.size(), 1u);
  EXPECT_EQ(ins[1].heredocs[0].name, "EOF");
  EXPECT_EQ(ins[1].heredocs[0].content, "apt-get update\napt-get install -y curl\n");
  EXPECT_EQ(ins[1].line, 4);
  EXPECT_EQ(ins[1].end_line, 7);
  EXPECT_TRUE(ins[2].heredocs[0].chomp);
  EXPECT_EQ(ins[2].heredocs[0].content, "set -ex\necho \"hello ${NAME}\"\n");
  EXPECT_TRUE(ins[3].heredocs[0].expand);
  EXPECT_EQ(ins[3].args, (std::vector<std::string>{"<<EOF", "/etc/greeting"}));
  EXPECT_FALSE(ins[4].heredocs[0].expand);
  EXPECT_EQ(ins[4].heredocs[0].name, "EOF");
  ASSERT_EQ(ins[5].heredocs.size(), 2u);
  EXPECT_EQ(ins[5].heredocs[1].name, "FILE2");
  EXPECT_EQ(ins[5].heredocs[1].content, "I am\nsecond\n");
  EXPECT_EQ(ins[6].heredocs[0].content, "print(\"hi\")\n");
  EXPECT_EQ(ins.back().keyword, "cmd");
  EXPECT_EQ(ins.back().line, 29);
}

TEST(DockerfileFixtures, GlobalArgsAndBuildArgs) {
  auto df = load("args-global.Dockerfile");
  EXPECT_EQ(df.stages[0].base, "docker.io/library/debian:bookworm");
  EXPECT_FALSE(df.meta_args.at("TAG").has_value());
  auto df2 = load("args-global.Dockerfile", {{"TAG", "trixie"}, {"BASE_REGISTRY", "reg.local:5000"}});
  EXPECT_EQ(df2.stages[0].base, "reg.local:5000/library/debian:trixie");
  EXPECT_EQ(df.stages[1].base_stage, 0);
  EXPECT_EQ(df.stages[2].depends_on, (std::set<int>{0}));  // FROM base and COPY --from=0
  EXPECT_EQ(stages_needed(df, resolve_target(df, "release")), (std::vector<int>{0, 2}));
  EXPECT_THROW(resolve_target(df, "nope"), berth::UserError);
}

TEST(DockerfileFixtures, OnbuildAndLowercaseAndAddFlags) {
  auto df = load("onbuild-misc.Dockerfile");
  const auto& lib = df.stages[0].instructions;
  ASSERT_TRUE(lib[0].trigger);
  EXPECT_EQ(lib[0].trigger->keyword, "copy");
  EXPECT_EQ(lib[1].trigger->keyword, "run");
  EXPECT_EQ(lib[2].args[0], "Jane Doe <jane@example.com>");
  EXPECT_EQ(lib[4].args, (std::vector<std::string>{"80/tcp", "53/udp"}));
  EXPECT_EQ(lib[5].healthcheck->test, std::vector<std::string>{"NONE"});
  const auto& s = df.stages[1].instructions;
  EXPECT_EQ(s[0].flag("chmod"), "0644");
  EXPECT_EQ(s[0].flag("link"), "true");
  EXPECT_EQ(s[1].flag("keep-git-dir"), "true");
  EXPECT_EQ(s[2].flag("checksum").substr(0, 7), "sha256:");
  EXPECT_EQ(s[3].flags.at("exclude"), (std::vector<std::string>{"*.md", "docs/"}));
  EXPECT_EQ(s[3].flag("parents"), "true");
}

TEST(DockerfileFixtures, RailsLowercaseAsAndUnnamedFinalStage) {
  auto df = load("rails.Dockerfile");
  ASSERT_EQ(df.stages.size(), 3u);
  EXPECT_EQ(df.stages[0].base, "registry.docker.com/library/ruby:3.3.0-slim");
  EXPECT_EQ(df.stages[1].name, "build");
  EXPECT_EQ(df.stages[2].name, "");
  EXPECT_EQ(df.stages[2].depends_on, (std::set<int>{0, 1}));
  EXPECT_EQ(df.stages[0].instructions[1].pairs.size(), 4u);
}

TEST(DockerfileFixtures, ParallelStagesSkipUnused) {
  auto df = load("parallel-stages.Dockerfile");
  auto needed = stages_needed(df, resolve_target(df, ""));
  EXPECT_EQ(needed, (std::vector<int>{0, 1, 3}));
  auto waves = build_waves(df, needed);
  ASSERT_EQ(waves.size(), 2u);
  EXPECT_EQ(waves[0], (std::vector<int>{0, 1}));
  EXPECT_EQ(waves[1], std::vector<int>{3});
  EXPECT_EQ(df.stages[3].images, std::set<std::string>{"nginx:1.25"});
}

TEST(DockerfileFixtures, MalformedJsonFallsBackToShellForm) {
  auto df = load("legacy-json-fallback.Dockerfile");
  const auto& ins = df.stages[0].instructions;
  EXPECT_FALSE(ins[0].json);
  EXPECT_EQ(ins[0].args[0], "['echo', 'hi']");
  EXPECT_FALSE(ins[1].json);  // trailing text after the array
  EXPECT_TRUE(ins[2].json);
  EXPECT_EQ(ins[3].args, (std::vector<std::string>{"/var/lib/mysql", "/var/log"}));
  EXPECT_EQ(ins[5].pairs[0].second, "$GOPATH/bin:/usr/local/go/bin:$PATH");
  EXPECT_EQ(ins[6].pairs[1].first, "\"com.example.vendor\"");
}
