// Every parse error names the Dockerfile (as given), the line and the instruction.
#include <gtest/gtest.h>

#include "builder/dockerfile_stages.hpp"

using namespace berth::builder;

namespace {
std::string error_of(const std::string& text, const std::map<std::string, std::string>& args = {}) {
  try {
    load_dockerfile(text, "ctx/Dockerfile.dev", args);
  } catch (const berth::ConfigError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(DockerfileErrors, EachNamesFileLineAndInstruction) {
  EXPECT_EQ(error_of("FROM a\nRUNN x\n"), "ctx/Dockerfile.dev:2: unknown instruction: RUNN (did you mean RUN?)");
  EXPECT_EQ(error_of("FROM a\nFOOBARBAZ x\n"), "ctx/Dockerfile.dev:2: unknown instruction: FOOBARBAZ");
  EXPECT_EQ(error_of("FROM a AS x\nFROM b AS X\n"),
            "ctx/Dockerfile.dev:2: FROM: duplicate stage name \"x\" (first defined at line 1)");
  EXPECT_EQ(error_of("FROM a\nCOPY --form=x a b\n"), "ctx/Dockerfile.dev:2: COPY: unknown flag: --form");
  EXPECT_EQ(error_of("FROM a\nCOPY --chown a b\n"), "ctx/Dockerfile.dev:2: COPY: missing a value on flag: --chown");
  EXPECT_EQ(error_of("FROM a\nCOPY --link=maybe a b\n"),
            "ctx/Dockerfile.dev:2: COPY: expecting boolean value for flag --link, not: maybe");
  EXPECT_EQ(error_of("FROM a\nADD --from=x a b\n"), "ctx/Dockerfile.dev:2: ADD: unknown flag: --from");
  EXPECT_EQ(error_of("FROM a\nCOPY --from=x --from=y a b\n"), "ctx/Dockerfile.dev:2: COPY: duplicate flag specified: --from");
  EXPECT_EQ(error_of("FROM a\nRUN --network=bridge x\n"), "ctx/Dockerfile.dev:2: RUN: unsupported network mode \"bridge\"");
  EXPECT_EQ(error_of("FROM a\nRUN --mount=type=nfs,target=/x x\n"), "ctx/Dockerfile.dev:2: RUN: unsupported mount type \"nfs\"");
  EXPECT_EQ(error_of("FROM a\nRUN --mount=type=cache,target=/x,color=red x\n"),
            "ctx/Dockerfile.dev:2: RUN: unexpected key 'color' in 'color=red'");
  EXPECT_EQ(error_of("FROM a\n\nCOPY onlyone\n"),
            "ctx/Dockerfile.dev:3: COPY: requires at least two arguments, but only 1 was provided. Destination could not be determined");
  EXPECT_EQ(error_of("RUN x\nFROM a\n"), "ctx/Dockerfile.dev:1: RUN: no build stage in current context");
  EXPECT_EQ(error_of("FROM a b\n"), "ctx/Dockerfile.dev:1: FROM: FROM requires either one or three arguments");
  EXPECT_EQ(error_of("FROM a AS 1x\n"),
            "ctx/Dockerfile.dev:1: FROM: invalid name for build stage: \"1x\", name can't start with a number or contain symbols");
  EXPECT_EQ(error_of("ARG IMG\nFROM ${IMG}\n"), "ctx/Dockerfile.dev:2: FROM: base name (${IMG}) should not be blank");
  EXPECT_EQ(error_of("ARG V=\"${X:?need X}\"\nFROM a\n"),
            "ctx/Dockerfile.dev:1: ARG: failed to process \"\"${X:?need X}\"\": X: need X");
  // Unquoted, the blank splits the ARG into two words, as in BuildKit.
  EXPECT_EQ(error_of("ARG V=${X:?need X}\nFROM a\n"),
            "ctx/Dockerfile.dev:1: ARG: failed to process \"${X:?need\": syntax error: missing '}'");
  EXPECT_EQ(error_of("FROM a\nSHELL /bin/bash -c\n"), "ctx/Dockerfile.dev:2: SHELL: SHELL requires the arguments to be in JSON form");
  EXPECT_EQ(error_of("FROM a\nCMD [\"a\", 1]\n"),
            "ctx/Dockerfile.dev:2: when using JSON array syntax, arrays must be comprised of strings only");
  EXPECT_EQ(error_of("FROM a\nENV A\n"), "ctx/Dockerfile.dev:2: ENV must have two arguments");
  EXPECT_EQ(error_of("FROM a\nENV A=1 B\n"),
            "ctx/Dockerfile.dev:2: Syntax error - can't find = in \"B\". Must be of the form: name=value");
  EXPECT_EQ(error_of("FROM a\nHEALTHCHECK --interval=xs CMD true\n"),
            "ctx/Dockerfile.dev:2: HEALTHCHECK: invalid duration for --interval: \"xs\"");
  EXPECT_EQ(error_of("FROM a\nHEALTHCHECK NONE true\n"), "ctx/Dockerfile.dev:2: HEALTHCHECK: HEALTHCHECK NONE takes no arguments");
  EXPECT_EQ(error_of("FROM a\nHEALTHCHECK BOGUS true\n"),
            "ctx/Dockerfile.dev:2: HEALTHCHECK: Unknown type \"BOGUS\" in HEALTHCHECK (try CMD)");
  EXPECT_EQ(error_of("FROM a\nONBUILD ONBUILD RUN x\n"),
            "ctx/Dockerfile.dev:2: ONBUILD: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  EXPECT_EQ(error_of("FROM a\nONBUILD FROM b\n"), "ctx/Dockerfile.dev:2: ONBUILD: FROM isn't allowed as an ONBUILD trigger");
  EXPECT_EQ(error_of("FROM a\nRUN <<EOF\necho\n"), "ctx/Dockerfile.dev:2: unterminated heredoc EOF");
  EXPECT_EQ(error_of("# escape=x\nFROM a\n"), "ctx/Dockerfile.dev:1: invalid escape token 'x' does not match ` or \\");
  EXPECT_EQ(error_of("# escape=`\n# escape=\\\nFROM a\n"), "ctx/Dockerfile.dev:2: only one escape parser directive can be used");
  EXPECT_EQ(error_of("FROM a AS one\nCOPY --from=two / /\nFROM b AS two\n"),
            "ctx/Dockerfile.dev:2: COPY: cannot copy from stage \"two\", it needs to be defined before current stage \"one\"");
  EXPECT_EQ(error_of("FROM a\nCOPY --from=0 / /\n"),
            "ctx/Dockerfile.dev:2: COPY: cannot copy from stage 0, it needs to be defined before current stage 0");
  EXPECT_EQ(error_of("FROM a\nCOPY --from=$X / /\n"),
            "ctx/Dockerfile.dev:2: COPY: variable expansion is not supported for --from, define a new stage with FROM using ARG "
            "from global scope as a workaround");
  EXPECT_EQ(error_of("FROM a\nWORKDIR\n"), "ctx/Dockerfile.dev:2: WORKDIR: requires exactly one argument");
  EXPECT_EQ(error_of("\n\n  \n"), "ctx/Dockerfile.dev: the Dockerfile cannot be empty");
  EXPECT_EQ(error_of("# only a comment\n"), "ctx/Dockerfile.dev:1: file with no instructions");
  EXPECT_EQ(error_of("ARG A=1\n"), "ctx/Dockerfile.dev: dockerfile contains no stages to build");
}

TEST(DockerfileParser, DirectivesOnlyAtTheTop) {
  // A comment before it turns the escape directive into a plain comment.
  auto df = load_dockerfile("# hello\n# escape=`\nFROM a\nRUN echo \\\n  b\n", "Dockerfile");
  EXPECT_EQ(df.raw.escape, '\\');
  EXPECT_EQ(df.stages[0].instructions[0].args[0], "echo   b");
  auto df2 = load_dockerfile("  # ESCAPE = `\n# check=skip=all\nFROM a\n", "Dockerfile");
  EXPECT_EQ(df2.raw.escape, '`');
  EXPECT_EQ(df2.raw.directives.size(), 2u);
}

TEST(DockerfileParser, ContinuationEdgeCases) {
  auto df = load_dockerfile(
      "FROM a\nRUN echo c\\\n# c\nd\nRUN echo one \\   \n\n  two\nRUN echo \\\\\nRUN echo # not a comment\n", "Dockerfile");
  const auto& i = df.stages[0].instructions;
  EXPECT_EQ(i[0].args[0], "echo cd");
  EXPECT_EQ(i[1].args[0], "echo one   two");
  EXPECT_EQ(i[1].line, 5);
  EXPECT_EQ(i[2].args[0], "echo \\\\");  // an escaped escape does not continue
  EXPECT_EQ(i[3].args[0], "echo # not a comment");
  ASSERT_EQ(df.warnings.size(), 1u);
  EXPECT_EQ(df.warnings[0].rfind("Dockerfile:5: empty continuation line", 0), 0u);
}

TEST(DockerfileParser, CrLfBomAndCase) {
  auto df = load_dockerfile("\xEF\xBB\xBF" "from a As Base\r\nRun echo hi\r\n", "Dockerfile");
  EXPECT_EQ(df.stages[0].name, "base");
  EXPECT_EQ(df.stages[0].instructions[0].args[0], "echo hi");
}

TEST(DockerfileParser, ArgsBeforeFromAndRedeclared) {
  auto df = load_dockerfile("ARG A=1 B\nARG C=${A}0\nFROM img:$C\nARG A\n", "Dockerfile", {{"B", "b"}});
  EXPECT_EQ(df.meta_args.at("C"), "10");
  EXPECT_EQ(df.meta_args.at("B"), "b");
  EXPECT_EQ(df.stages[0].base, "img:10");
  EXPECT_EQ(df.stages[0].instructions[0].decls[0].first, "A");
  auto warn = load_dockerfile("FROM img:$NOPE\n", "Dockerfile");
  ASSERT_EQ(warn.warnings.size(), 1u);
  EXPECT_NE(warn.warnings[0].find("NOPE"), std::string::npos);
}
