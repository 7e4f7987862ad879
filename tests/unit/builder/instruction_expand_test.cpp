// Which parts of each instruction are substituted at build time (BuildKit's rules).
#include <gtest/gtest.h>

#include "builder/dockerfile_stages.hpp"
#include "builder/instruction_expand.hpp"

using namespace berth::builder;

namespace {

Instruction first(const std::string& body) {
  auto df = load_dockerfile("FROM scratch\n" + body, "Dockerfile");
  return df.stages.at(0).instructions.at(0);
}

const VarLookup vars = [](const std::string& k) -> std::optional<std::string> {
  if (k == "A") return std::string("alpha");
  if (k == "P") return std::string("80 443/udp");
  if (k == "E") return std::string();
  return std::nullopt;
};

ExpandResult expand(const std::string& body) { return expand_instruction(first(body), vars, '\\', "Dockerfile"); }

}  // namespace

TEST(InstructionExpand, EnvAndLabelKeysAndValuesWithoutQuotes) {
  auto r = expand("ENV K_$A=\"x $A y\" B=${U:-dflt}\n").instruction;
  ASSERT_EQ(r.pairs.size(), 2u);
  EXPECT_EQ(r.pairs[0], (std::pair<std::string, std::string>{"K_alpha", "x alpha y"}));
  EXPECT_EQ(r.pairs[1].second, "dflt");
  auto l = expand("LABEL \"$A.key\"='$A'\n").instruction;
  EXPECT_EQ(l.pairs.at(0), (std::pair<std::string, std::string>{"alpha.key", "$A"}));
}

TEST(InstructionExpand, ArgDefaultOnly) {
  auto r = expand("ARG X=$A Y\n").instruction;
  ASSERT_EQ(r.decls.size(), 2u);
  EXPECT_EQ(r.decls[0].second, "alpha");
  EXPECT_FALSE(r.decls[1].second.has_value());
}

TEST(InstructionExpand, OneTextInstructions) {
  EXPECT_EQ(expand("WORKDIR /srv/$A\n").instruction.args.at(0), "/srv/alpha");
  EXPECT_EQ(expand("USER ${A}:${E:-grp}\n").instruction.args.at(0), "alpha:grp");
  EXPECT_EQ(expand("STOPSIGNAL SIG$A\n").instruction.args.at(0), "SIGalpha");
}

TEST(InstructionExpand, ExposeSplitsVolumeDoesNot) {
  EXPECT_EQ(expand("EXPOSE $P 9000\n").instruction.args, (std::vector<std::string>{"80", "443/udp", "9000"}));
  EXPECT_EQ(expand("VOLUME /v/$A /w\n").instruction.args, (std::vector<std::string>{"/v/alpha", "/w"}));
}

TEST(InstructionExpand, CopySourcesDestAndFlags) {
  auto r = expand("COPY --chown=$A:$A --chmod=${M:-0755} src/$A.txt /dst/$A/\n").instruction;
  EXPECT_EQ(r.args, (std::vector<std::string>{"src/alpha.txt", "/dst/alpha/"}));
  EXPECT_EQ(r.flag("chown"), "alpha:alpha");
  EXPECT_EQ(r.flag("chmod"), "0755");
}

TEST(InstructionExpand, HeredocBodyOnlyWhenUnquoted) {
  auto r = expand("COPY <<EOF /f\nhello \"$A\"\nEOF\n").instruction;
  EXPECT_EQ(r.heredocs.at(0).content, "hello \"alpha\"\n");
  auto q = expand("COPY <<'EOF' /f\nhello $A\nEOF\n").instruction;
  EXPECT_EQ(q.heredocs.at(0).content, "hello $A\n");
}

TEST(InstructionExpand, RunOnlyMountValuesNotTheCommandNorFrom) {
  auto r = expand("RUN --mount=type=cache,target=/c/$A,id=$A echo $A\n").instruction;
  EXPECT_EQ(r.args.at(0), "echo $A");
  ASSERT_EQ(r.mounts.size(), 1u);
  EXPECT_EQ(r.mounts[0].target, "/c/alpha");
  EXPECT_EQ(r.mounts[0].id, "alpha");
}

TEST(InstructionExpand, CommandsStayAsWritten) {
  EXPECT_EQ(expand("CMD echo $A\n").instruction.args.at(0), "echo $A");
  EXPECT_EQ(expand("ENTRYPOINT [\"/bin/$A\"]\n").instruction.args.at(0), "/bin/$A");
  EXPECT_EQ(expand("HEALTHCHECK CMD test $A\n").instruction.healthcheck->test.at(1), "test $A");
}

TEST(InstructionExpand, UnsetVariablesReported) {
  auto r = expand("ENV X=$NOPE$A\n");
  EXPECT_EQ(r.unset, (std::set<std::string>{"NOPE"}));
  EXPECT_EQ(r.instruction.pairs.at(0).second, "alpha");
}

TEST(InstructionExpand, BadSubstitutionNamesTheLine) {
  try {
    expand("WORKDIR ${A:?missing}${NOPE:?is required}\n");
    FAIL() << "no error";
  } catch (const berth::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("Dockerfile:2: WORKDIR"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("is required"), std::string::npos) << e.what();
  }
}
