// The --format template subset docker and compose users pass (ps, ls, stats).
#include "base/go_template.hpp"

#include <gtest/gtest.h>

#include "base/error.hpp"

namespace berth {
namespace {

const std::vector<std::string> kFields = {"Name", "Service", "State", "Publishers", "Labels", "ExitCode"};

nlohmann::json row(const std::string& name, const std::string& state) {
  return {{"Name", name}, {"Service", "web"}, {"State", state}, {"ExitCode", 0},
          {"Publishers", nlohmann::json::array({{{"URL", "0.0.0.0"}, {"PublishedPort", 8080}}})},
          {"Labels", "a=1,com.example.x=yes"}};
}

TEST(GoTemplate, FieldsAndTabEscapes) {
  GoTemplate t("{{.Service}}\\t{{ .State }}", kFields, "ps");
  EXPECT_FALSE(t.table());
  EXPECT_EQ(t.render(row("p-web-1", "running")), "web\trunning");
  EXPECT_EQ(GoTemplate("{{.Name}}", kFields, "ps").render_all({row("a", "x"), row("b", "y")}), "a\nb\n");
  EXPECT_EQ(GoTemplate("{{.ExitCode}}", kFields, "ps").render(row("a", "x")), "0");
}

TEST(GoTemplate, JsonOfAFieldAndOfTheRow) {
  EXPECT_EQ(GoTemplate("{{json .Publishers}}", kFields, "ps").render(row("a", "x")),
            R"([{"PublishedPort":8080,"URL":"0.0.0.0"}])");
  auto whole = nlohmann::json::parse(GoTemplate("{{json .}}", kFields, "ps").render(row("a", "x")));
  EXPECT_EQ(whole["Name"], "a");
}

TEST(GoTemplate, LabelFromCommaSeparatedLabels) {
  EXPECT_EQ(GoTemplate("{{.Label \"com.example.x\"}}", kFields, "ps").render(row("a", "x")), "yes");
  EXPECT_EQ(GoTemplate("[{{.Label \"none\"}}]", kFields, "ps").render(row("a", "x")), "[]");
}

TEST(GoTemplate, TableHasAHeaderAndAlignedColumns) {
  GoTemplate t("table {{.Name}}\t{{.State}}", kFields, "ps", {{"Name", "NAME"}});
  EXPECT_TRUE(t.table());
  EXPECT_EQ(t.render_all({row("p-web-1", "running"), row("p-db-1", "exited")}),
            "NAME      STATE\n"
            "p-web-1   running\n"
            "p-db-1    exited\n");
}

TEST(GoTemplate, UnknownFieldIsOneErrorNamingTheFields) {
  try {
    GoTemplate("{{.Nmae}}", kFields, "ps");
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              "--format: ps has no field .Nmae (fields: Name, Service, State, Publishers, Labels, ExitCode)");
  }
  EXPECT_THROW(GoTemplate("{{.Name", kFields, "ps"), UserError);
  EXPECT_THROW(GoTemplate("{{range .Labels}}x{{end}}", kFields, "ps"), UserError);
}

TEST(AlignColumns, MinimumWidthAndCharactersNotBytes) {
  EXPECT_EQ(align_columns({"NAME\tSTATUS", "p\trunning(1)"}, 10), "NAME      STATUS\np         running(1)\n");
  // "…" is one column wide
  EXPECT_EQ(align_columns({"a\u2026\tx", "abc\ty"}), "a\u2026    x\nabc   y\n");
}

}  // namespace
}  // namespace berth
