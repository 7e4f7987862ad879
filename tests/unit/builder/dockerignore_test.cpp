// .dockerignore matching, with the examples of Docker's documentation.
#include <gtest/gtest.h>

#include "builder/dockerignore.hpp"

using namespace berth::builder;

TEST(DockerIgnore, DocumentedExamples) {
  auto d = DockerIgnore::parse("# comment\n*/temp*\n*/*/temp*\ntemp?\n");
  EXPECT_TRUE(d.excluded("somedir/temporary.txt"));
  EXPECT_TRUE(d.excluded("somedir/temp"));
  EXPECT_TRUE(d.excluded("somedir/subdir/temporary.txt"));
  EXPECT_TRUE(d.excluded("tempa"));
  EXPECT_FALSE(d.excluded("tempab"));
  EXPECT_FALSE(d.excluded("temporary.txt"));
  EXPECT_FALSE(d.excluded("# comment"));
}

TEST(DockerIgnore, ExceptionsAndLastMatchWins) {
  auto d = DockerIgnore::parse("*.md\n!README*.md\nREADME-secret.md\n");
  EXPECT_TRUE(d.excluded("CHANGES.md"));
  EXPECT_FALSE(d.excluded("README.md"));
  EXPECT_TRUE(d.excluded("README-secret.md"));
  auto e = DockerIgnore::parse("*.md\nREADME-secret.md\n!README*.md\n");
  EXPECT_FALSE(e.excluded("README-secret.md"));
}

TEST(DockerIgnore, DoubleStarCleanupAndParents) {
  auto d = DockerIgnore::parse("**/*.go\n/node_modules\n./build/../dist\n  # not a comment\n");
  EXPECT_TRUE(d.excluded("main.go"));
  EXPECT_TRUE(d.excluded("a/b/c.go"));
  EXPECT_TRUE(d.excluded("node_modules/x/index.js"));  // a parent directory matched
  EXPECT_FALSE(d.excluded("src/node_modules"));         // anchored at the root
  EXPECT_TRUE(d.excluded("dist/app.js"));
  EXPECT_TRUE(d.excluded("# not a comment"));
  EXPECT_EQ(d.patterns(), (std::vector<std::string>{"**/*.go", "node_modules", "dist", "# not a comment"}));
  auto e = DockerIgnore::from_patterns({"a/**/b", "x/**"});
  EXPECT_TRUE(e.excluded("a/b"));
  EXPECT_TRUE(e.excluded("a/1/2/b"));
  EXPECT_TRUE(e.excluded("x/y/z"));
  EXPECT_FALSE(e.excluded("x"));
}

TEST(DockerIgnore, SkippingDirectories) {
  auto d = DockerIgnore::parse("vendor\nlogs\n!logs/keep.txt\n");
  EXPECT_TRUE(d.can_skip_dir("vendor"));
  EXPECT_FALSE(d.can_skip_dir("logs"));  // an exception may re-include something inside
  EXPECT_FALSE(d.excluded("logs/keep.txt"));
  EXPECT_TRUE(d.excluded("logs/other.txt"));
  EXPECT_FALSE(d.can_skip_dir("src"));  // not excluded at all
  auto deep = DockerIgnore::parse("*\n!**/*.txt\n");
  EXPECT_FALSE(deep.can_skip_dir("anything"));
}

TEST(DockerIgnore, BadPatternsNameTheLine) {
  try {
    DockerIgnore::parse("ok\n[a\n", "ctx/.dockerignore");
    FAIL();
  } catch (const berth::ConfigError& e) {
    EXPECT_STREQ(e.what(), "ctx/.dockerignore:2: [a: syntax error in pattern");
  }
  EXPECT_THROW(DockerIgnore::parse("!\n"), berth::ConfigError);
  EXPECT_EQ(clean_path("./a//b/../c/"), "a/c");
  EXPECT_EQ(clean_path("/../x"), "/x");
}
