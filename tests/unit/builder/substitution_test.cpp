// Variable substitution, checked against the results BuildKit's shell lexer documents.
#include <gtest/gtest.h>

#include "builder/shell_words.hpp"

using namespace berth::builder;

namespace {
const VarLookup env = lookup_from_env({"PWD=/home", "SHELL=bash", "KOREAN=한국어", "EMPTY=", "path=/usr/local/bin/app.tar.gz"});
std::string w(const std::string& s, char esc = '\\') {
  LexOptions o;
  o.escape = esc;
  return shell_expand(s, env, o).word;
}
}  // namespace

TEST(ShellWords, PlainAndBraced) {
  EXPECT_EQ(w("$PWD"), "/home");
  EXPECT_EQ(w("${PWD}/x"), "/home/x");
  EXPECT_EQ(w("a$PWD-b"), "a/home-b");
  EXPECT_EQ(w("$KOREAN"), "한국어");
  EXPECT_EQ(w("$UNSET"), "");
  EXPECT_EQ(w("$"), "$");
  EXPECT_EQ(w("$/x"), "$/x");
  EXPECT_EQ(w("$1"), "");  // positional: looked up, unset
}

TEST(ShellWords, DefaultsAndAlternatives) {
  EXPECT_EQ(w("${UNSET:-def}"), "def");
  EXPECT_EQ(w("${EMPTY:-def}"), "def");
  EXPECT_EQ(w("${EMPTY-def}"), "");
  EXPECT_EQ(w("${UNSET-def}"), "def");
  EXPECT_EQ(w("${PWD:-def}"), "/home");
  EXPECT_EQ(w("${PWD:+alt}"), "alt");
  EXPECT_EQ(w("${EMPTY:+alt}"), "");
  EXPECT_EQ(w("${EMPTY+alt}"), "alt");
  EXPECT_EQ(w("${UNSET+alt}"), "");
  EXPECT_EQ(w("${UNSET:-${SHELL:-x}}"), "bash");  // nested
  EXPECT_EQ(w("${UNSET:-'a b'}"), "a b");
}

TEST(ShellWords, RequiredVariables) {
  EXPECT_EQ(w("${PWD:?must}"), "/home");
  EXPECT_EQ(w("${EMPTY?must}"), "");
  try {
    w("${UNSET:?give it}");
    FAIL();
  } catch (const ExpandError& e) {
    EXPECT_STREQ(e.what(), "failed to process \"${UNSET:?give it}\": UNSET: give it");
  }
  EXPECT_THROW(w("${EMPTY:?}"), ExpandError);
  try {
    w("${UNSET?}");
    FAIL();
  } catch (const ExpandError& e) {
    EXPECT_NE(std::string(e.what()).find("UNSET: is not allowed to be unset"), std::string::npos);
  }
}

TEST(ShellWords, PrefixSuffixAndReplace) {
  EXPECT_EQ(w("${path#*/}"), "usr/local/bin/app.tar.gz");
  EXPECT_EQ(w("${path##*/}"), "app.tar.gz");
  EXPECT_EQ(w("${path%.*}"), "/usr/local/bin/app.tar");
  EXPECT_EQ(w("${path%%.*}"), "/usr/local/bin/app");
  EXPECT_EQ(w("${path/local/opt}"), "/usr/opt/bin/app.tar.gz");
  EXPECT_EQ(w("${path//\\//:}"), ":usr:local:bin:app.tar.gz");
  EXPECT_EQ(w("${SHELL/?a/X}"), "Xsh");
  EXPECT_EQ(w("${UNSET#x}"), "");
  EXPECT_THROW(w("${path:#x}"), ExpandError);  // `:` with # or % is refused
}

TEST(ShellWords, Quoting) {
  EXPECT_EQ(w("'$PWD'"), "$PWD");
  EXPECT_EQ(w("\"$PWD\""), "/home");
  EXPECT_EQ(w("\\$PWD"), "$PWD");
  EXPECT_EQ(w("a\\nb"), "anb");
  EXPECT_EQ(w("\"a\\nb\""), "a\\nb");
  EXPECT_EQ(w("\"a\\\"b\""), "a\"b");
  EXPECT_EQ(w("`$PWD", '`'), "$PWD");
  EXPECT_EQ(w("\\$PWD", '`'), "\\/home");  // with ` as escape, \ is plain
  EXPECT_THROW(w("'abc"), ExpandError);
  EXPECT_THROW(w("\"abc"), ExpandError);
}

TEST(ShellWords, SplittingAfterSubstitution) {
  auto r = shell_expand("a ${SHELL} \"b c\" '' $UNSET d", env);
  EXPECT_EQ(r.words, (std::vector<std::string>{"a", "bash", "b c", "d"}));
  EXPECT_EQ(r.used, std::set<std::string>{"SHELL"});
  EXPECT_EQ(r.unset, std::set<std::string>{"UNSET"});
  // A default, alternative or error form answers for a missing value: not reported.
  auto d = shell_expand("${U1:-x} ${U2+y} ${U3-z} ${U4#p}", env);
  EXPECT_EQ(d.unset, std::set<std::string>{"U4"});
}

TEST(ShellWords, Errors) {
  EXPECT_THROW(w("${}"), ExpandError);
  EXPECT_THROW(w("${:x}"), ExpandError);
  EXPECT_THROW(w("${PWD"), ExpandError);
  EXPECT_THROW(w("${PWD:=x}"), ExpandError);
  try {
    w("${PWD=x}");
    FAIL();
  } catch (const ExpandError& e) {
    EXPECT_NE(std::string(e.what()).find("unsupported modifier (=) in substitution"), std::string::npos);
  }
}

TEST(ShellWords, SkipUnsetKeepsReferences) {
  LexOptions o;
  o.skip_unset = true;
  EXPECT_EQ(shell_expand("$A ${B} ${C:-x} $PWD", env, o).word, "$A ${B} ${C:-x} /home");
}
