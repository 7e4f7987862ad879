#include <gtest/gtest.h>

#include "base/error.hpp"
#include "compose/graph.hpp"
#include "compose/load.hpp"

using namespace berth::compose;

namespace {
Project make(std::initializer_list<std::pair<const char*, std::vector<std::string>>> deps) {
    Project p;
    for (auto& [n, ds] : deps) {
        Service s;
        s.name = n;
        for (auto& d : ds) s.depends_on[d] = {};
        p.services[n] = s;
    }
    return p;
}
}  // namespace

TEST(Graph, LevelsAndReverse) {
    auto p = make({{"web", {"api"}}, {"api", {"db", "cache"}}, {"db", {}}, {"cache", {}}});
    DependencyGraph g(p);
    auto l = g.start_levels();
    ASSERT_EQ(l.size(), 3u);
    EXPECT_EQ(l[0], (std::vector<std::string>{"cache", "db"}));
    EXPECT_EQ(l[1], (std::vector<std::string>{"api"}));
    EXPECT_EQ(l[2], (std::vector<std::string>{"web"}));
    EXPECT_EQ(g.stop_levels().front(), (std::vector<std::string>{"web"}));
}

TEST(Graph, CycleNamed) {
    auto p = make({{"web", {"api"}}, {"api", {"web"}}});
    try {
        DependencyGraph g(p);
        FAIL();
    } catch (const berth::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("api -> web -> api"), std::string::npos) << e.what();
    }
}

TEST(Graph, SelfLinkAndUnknown) {
    Project p = make({{"web", {}}});
    p.services["web"].links.push_back({"web", "web"});
    EXPECT_THROW({ DependencyGraph g(p); }, berth::ConfigError);
    Project q = make({{"web", {"nope"}}});
    EXPECT_THROW({ DependencyGraph g(q); }, berth::ConfigError);
}

TEST(Graph, SelectWithAndWithoutDeps) {
    auto p = make({{"web", {"api"}}, {"api", {"db"}}, {"db", {}}, {"other", {}}});
    p.services["web"].network_mode = "service:other";
    DependencyGraph g(p);
    EXPECT_EQ(g.select({"web"}), (std::set<std::string>{"web", "api", "db", "other"}));
    EXPECT_EQ(g.select({"web"}, false), (std::set<std::string>{"web"}));
    EXPECT_THROW(g.select({"zzz"}), berth::UserError);
}

TEST(ProjectName, Normalized) {
    EXPECT_EQ(normalize_project_name("My.App_1-x"), "myapp_1-x");
    EXPECT_EQ(normalize_project_name("__abc"), "abc");
    EXPECT_THROW(normalize_project_name("..."), berth::UserError);
    EXPECT_EQ(normalize_project_name(std::string(128, 'a')), std::string(128, 'a'));
    try {
        normalize_project_name(std::string(10000, 'a'));
        FAIL();
    } catch (const berth::UserError& e) {
        EXPECT_EQ(std::string(e.what()), "invalid project name \"" + std::string(40, 'a') + "... (10000 characters)\": longer than 128 characters");
    }
}
