// Config-only instructions and the history lines, as BuildKit writes them.
#include <gtest/gtest.h>

#include "builder/config_instruction.hpp"
#include "builder/dockerfile_stages.hpp"

using namespace berth::builder;

namespace {

std::vector<Instruction> parse(const std::string& body) {
  return load_dockerfile("FROM scratch\n" + body, "Dockerfile").stages.at(0).instructions;
}

berth::engine::ImageConfig apply(const std::string& body, StageShell& shell, berth::engine::ImageConfig cfg = {}) {
  for (const auto& in : parse(body)) apply_config_instruction(cfg, in, shell);
  return cfg;
}

}  // namespace

TEST(ConfigInstruction, EnvReplacesLabelsExposeVolumeSorted) {
  StageShell s;
  auto c = apply("ENV A=1 B=2\nENV A=3\nLABEL x=y\nEXPOSE 80 53/udp 80\nVOLUME /b /a\n", s);
  EXPECT_EQ(c.env, (std::vector<std::string>{"A=3", "B=2"}));
  EXPECT_EQ(c.labels.at("x"), "y");
  EXPECT_EQ(c.exposed_ports, (std::vector<std::string>{"53/udp", "80/tcp"}));
  EXPECT_EQ(c.volumes, (std::vector<std::string>{"/a", "/b"}));
}

TEST(ConfigInstruction, WorkdirJoinsRelativePaths) {
  StageShell s;
  auto c = apply("WORKDIR /a\nWORKDIR b/../c\nWORKDIR d\n", s);
  EXPECT_EQ(c.working_dir, "/a/c/d");
  EXPECT_EQ(join_workdir("", "x"), "/x");
}

TEST(ConfigInstruction, ShellFormUsesTheShellInEffect) {
  StageShell s;
  auto c = apply("SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nCMD echo hi\n", s);
  EXPECT_EQ(*c.cmd, (std::vector<std::string>{"/bin/bash", "-o", "pipefail", "-c", "echo hi"}));
}

TEST(ConfigInstruction, EntrypointResetsOnlyAnInheritedCmd) {
  berth::engine::ImageConfig base;
  base.cmd = std::vector<std::string>{"sh"};
  StageShell s1;
  auto c1 = apply("ENTRYPOINT [\"/app\"]\n", s1, base);
  EXPECT_FALSE(c1.cmd.has_value());
  StageShell s2;
  auto c2 = apply("CMD [\"x\"]\nENTRYPOINT [\"/app\"]\n", s2, base);
  EXPECT_EQ(*c2.cmd, std::vector<std::string>{"x"});
}

TEST(ConfigInstruction, OnbuildMaintainerStopsignalHealthcheck) {
  StageShell s;
  auto c = apply("ONBUILD RUN make\nMAINTAINER me\nSTOPSIGNAL SIGQUIT\nHEALTHCHECK --retries=2 CMD true\n", s);
  EXPECT_EQ(c.onbuild, std::vector<std::string>{"RUN make"});
  EXPECT_EQ(c.author, "me");
  EXPECT_EQ(c.stop_signal, "SIGQUIT");
  EXPECT_EQ(c.healthcheck->test, (std::vector<std::string>{"CMD-SHELL", "true"}));
  EXPECT_EQ(c.healthcheck->retries, 2);
}

TEST(ConfigInstruction, HistoryLinesInBuildKitStyle) {
  StageShell s;
  auto ins = parse("RUN make all\nCOPY --chown=1:1 a b /dst/\nENV A=1\nCMD [\"x\"]\nRUN [\"/bin/true\"]\n");
  EXPECT_EQ(history_created_by(ins[0], s, {}), "RUN /bin/sh -c make all # buildkit");
  EXPECT_EQ(history_created_by(ins[0], s, {"V=1", "W=2"}), "RUN |2 V=1 W=2 /bin/sh -c make all # buildkit");
  EXPECT_EQ(history_created_by(ins[1], s, {}), "COPY --chown=1:1 a b /dst/ # buildkit");
  EXPECT_EQ(history_created_by(ins[2], s, {}), "ENV A=1");
  EXPECT_EQ(history_created_by(ins[3], s, {}), "CMD [\"x\"]");
  EXPECT_EQ(history_created_by(ins[4], s, {}), "RUN [\"/bin/true\"] # buildkit");
}
