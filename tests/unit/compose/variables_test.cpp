// `config --variables`: the variables a file uses, as compose-go extracts them.
#include "compose/load/variables.hpp"

#include <gtest/gtest.h>

namespace berth::compose::load {
namespace {

TEST(Variables, FormsDefaultsAlternatesAndRequired) {
  auto v = extract_variables(
      "services:\n"
      "  web:\n"
      "    image: ${IMAGE:-busybox}:${TAG-latest}\n"
      "    # ${COMMENTED} is not used\n"
      "    environment:\n"
      "      A: $PLAIN\n"
      "      B: ${NEEDED:?set it}\n"
      "      C: ${ALT:+on}\n"
      "      D: $$NOT_A_VARIABLE ${OUTER:-${INNER}}\n");
  std::vector<std::string> names;
  for (const auto& [n, _] : v) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"ALT", "IMAGE", "INNER", "NEEDED", "OUTER", "PLAIN", "TAG"}));
  EXPECT_EQ(v["IMAGE"].default_value, "busybox");
  EXPECT_EQ(v["TAG"].default_value, "latest");
  EXPECT_TRUE(v["NEEDED"].required);
  EXPECT_FALSE(v["PLAIN"].required);
  EXPECT_EQ(v["ALT"].alternate_value, "on");
  EXPECT_EQ(v["OUTER"].default_value, "${INNER}");
}

}  // namespace
}  // namespace berth::compose::load
