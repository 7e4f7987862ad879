// What scripts parse and the flags they pass, as docker compose v2 has them: ps (JSON Lines with
// compose's fields, Go templates, columns and status text, --filter, --orphans, --no-trunc),
// logs --no-log-prefix/--index/--until, ls -q/--filter and its state counts, events
// --since/--until, pull --policy/--include-deps, the config lists and -o, top's STIME, images'
// CREATED, volume ls's header, --progress json.
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/integration/orchestrate/project_fixture.hpp"

namespace berth::test {
namespace {

using Output = ProjectTest;

constexpr const char* kStack = R"(services:
  web:
    image: berth-examples/busybox:latest
    init: true
    command: ["sh", "-c", "echo web-says-hi; exec httpd -f -p 80 -h /"]
    ports: ["127.0.0.1::80"]
    healthcheck: {test: ["CMD", "true"], interval: 100ms}
  job:
    image: berth-examples/busybox:latest
    command: ["sh", "-c", "echo job-done; exit 3"]
)";

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));  // throws on anything else
  return out;
}

// The output without berth's warning lines (run_command merges stderr into it).
std::string without_warnings(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("berth: warning:", 0) != 0) out += line + "\n";
  return out;
}

class OutputUp : public Output {
 protected:
  void up() {
    write(kStack);
    std::string out;
    ASSERT_EQ(berth("up -d --wait web", &out), 0) << out;
    ASSERT_EQ(berth("up -d job", &out), 0) << out;
    for (int i = 0; i < 100 && state_of("job") != "exited"; ++i) usleep(100000);
    ASSERT_EQ(state_of("job"), "exited");
  }
};

TEST_F(OutputUp, PsJsonIsJsonLinesWithComposesFields) {
  up();
  std::string out;
  ASSERT_EQ(berth("ps -a --format json", &out), 0) << out;
  auto rows = json_lines(out);
  ASSERT_EQ(rows.size(), 2u) << out;
  for (const auto& r : rows) {
    for (const char* k : {"ID", "Name", "Names", "Image", "Command", "Project", "Service", "CreatedAt", "State",
                          "Status", "Health", "ExitCode", "Publishers", "Labels", "LocalVolumes", "Mounts",
                          "Networks", "RunningFor", "Size"})
      EXPECT_TRUE(r.contains(k)) << k << " missing: " << r.dump();
    EXPECT_EQ(r["Project"], project_);
    EXPECT_TRUE(r["Publishers"].is_array()) << r.dump();
    EXPECT_EQ(r["ID"].get<std::string>().size(), 12u);
  }
  const auto& web = rows[0]["Service"] == "web" ? rows[0] : rows[1];
  const auto& job = rows[0]["Service"] == "web" ? rows[1] : rows[0];
  EXPECT_EQ(web["State"], "running");
  EXPECT_EQ(web["Health"], "healthy");
  EXPECT_EQ(web["Command"], "\"sh -c echo web-says…\"") << web.dump();
  ASSERT_EQ(web["Publishers"].size(), 1u) << web.dump();
  EXPECT_EQ(web["Publishers"][0]["URL"], "127.0.0.1");
  EXPECT_EQ(web["Publishers"][0]["TargetPort"], 80);
  EXPECT_GT(web["Publishers"][0]["PublishedPort"].get<int>(), 0);
  EXPECT_EQ(web["Publishers"][0]["Protocol"], "tcp");
  EXPECT_EQ(web["Networks"], project_ + "_default");
  EXPECT_NE(web["Labels"].get<std::string>().find("com.docker.compose.service=web"), std::string::npos);
  EXPECT_EQ(web["Status"].get<std::string>().rfind("Up ", 0), 0u) << web.dump();
  EXPECT_NE(web["Status"].get<std::string>().find("(healthy)"), std::string::npos) << web.dump();
  EXPECT_NE(web["RunningFor"].get<std::string>().find(" ago"), std::string::npos) << web.dump();
  EXPECT_EQ(job["State"], "exited");
  EXPECT_EQ(job["ExitCode"], 3);
  EXPECT_EQ(job["Health"], "");
  EXPECT_TRUE(job["Publishers"].empty());
  EXPECT_EQ(job["Status"].get<std::string>().rfind("Exited (3) ", 0), 0u) << job.dump();
  EXPECT_NE(job["Status"].get<std::string>().find(" ago"), std::string::npos) << job.dump();

  ASSERT_EQ(berth("ps -a --no-trunc --format json web", &out), 0) << out;
  EXPECT_EQ(json_lines(out).at(0)["ID"].get<std::string>().size(), 64u) << out;
}

TEST_F(OutputUp, PsTableHasComposesColumnsAndStatusText) {
  up();
  std::string out;
  ASSERT_EQ(berth("ps -a", &out), 0) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("^NAME +IMAGE +COMMAND +SERVICE +CREATED +STATUS +PORTS\n"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(project_ + "-web-1 .* Up [^\n]* \\(healthy\\) +127\\.0\\.0\\.1:[0-9]+->80/tcp\n")))
      << out;
  // an exited container: its code and age, no health, no ports
  EXPECT_TRUE(std::regex_search(out, std::regex(project_ + "-job-1 .* Exited \\(3\\) [^\n]* ago\n"))) << out;
}

TEST_F(OutputUp, PsGoTemplatesAndFilters) {
  up();
  std::string out;
  ASSERT_EQ(berth("ps -a --format '{{.Service}}\\t{{.State}}'", &out), 0) << out;
  EXPECT_NE(out.find("web\trunning\n"), std::string::npos) << out;
  EXPECT_NE(out.find("job\texited\n"), std::string::npos) << out;
  ASSERT_EQ(berth("ps --format '{{.Name}}'", &out), 0) << out;
  EXPECT_EQ(out, project_ + "-web-1\n");
  ASSERT_EQ(berth("ps --format 'table {{.Name}}\\t{{.ExitCode}}' --filter status=exited", &out), 0) << out;
  EXPECT_EQ(out, "NAME" + std::string(project_.size() + 6 - 4 + 3, ' ') + "EXIT CODE\n" + project_ + "-job-1   3\n");
  ASSERT_EQ(berth("ps -a --format '{{json .Publishers}}' web", &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)[0]["TargetPort"], 80) << out;
  // an unknown field: one clear error, nothing else
  EXPECT_NE(berth("ps --format '{{.Nope}}'", &out), 0);
  EXPECT_NE(out.find("--format: ps has no field .Nope"), std::string::npos) << out;
  EXPECT_NE(berth("ps --filter source=image", &out), 0);
  EXPECT_NE(out.find("not implemented"), std::string::npos) << out;
  EXPECT_NE(berth("ps --filter color=red", &out), 0);
  EXPECT_NE(out.find("unknown filter color"), std::string::npos) << out;
}

TEST_F(OutputUp, PsOrphansFalseHidesServicesTheFileNoLongerHas) {
  up();
  write(R"(services:
  web:
    image: berth-examples/busybox:latest
    init: true
    command: ["sh", "-c", "echo web-says-hi; exec httpd -f -p 80 -h /"]
    ports: ["127.0.0.1::80"]
    healthcheck: {test: ["CMD", "true"], interval: 100ms}
)");
  std::string out;
  ASSERT_EQ(berth("ps -a --format '{{.Service}}'", &out), 0) << out;
  EXPECT_NE(out.find("job\n"), std::string::npos) << out;
  ASSERT_EQ(berth("ps -a --orphans=false --format '{{.Service}}'", &out), 0) << out;
  EXPECT_EQ(out, "web\n");
  write(kStack);  // so that TearDown's down removes both
}

TEST_F(OutputUp, LogsWithoutPrefixByIndexAndUntil) {
  up();
  std::string out;
  ASSERT_EQ(berth("logs --no-log-prefix job", &out), 0) << out;
  EXPECT_EQ(out, "job-done\n");
  ASSERT_EQ(berth("logs --index 1 job", &out), 0) << out;
  EXPECT_EQ(out, "job-1  | job-done\n");
  ASSERT_EQ(berth("logs --index 2 job", &out), 0) << out;
  EXPECT_EQ(out, "");
  ASSERT_EQ(berth("logs --until 2000-01-01T00:00:00Z job", &out), 0) << out;
  EXPECT_EQ(out, "");
  ASSERT_EQ(berth("logs --until 0s --no-log-prefix job", &out), 0) << out;
  EXPECT_EQ(out, "job-done\n");
}

TEST_F(OutputUp, LsCountsEveryStateQuietAndFilter) {
  up();
  std::string out;
  ASSERT_EQ(berth_root("ls -a", &out), 0) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("^NAME +STATUS +CONFIG FILES\n"))) << out;
  EXPECT_NE(out.find(project_ + " "), std::string::npos) << out;
  EXPECT_NE(out.find("exited(1), running(1)"), std::string::npos) << out;
  ASSERT_EQ(berth_root("ls", &out), 0) << out;
  EXPECT_NE(out.find(" running(1)"), std::string::npos) << out;
  ASSERT_EQ(berth_root("ls -q --filter name=" + project_, &out), 0) << out;
  EXPECT_EQ(out, project_ + "\n");
  ASSERT_EQ(berth_root("ls -q --filter name=no-such-project-x", &out), 0) << out;
  EXPECT_EQ(out, "");
  EXPECT_NE(berth_root("ls --filter label=x", &out), 0);
}

TEST_F(OutputUp, EventsSinceUntilReplayAndEnd) {
  up();
  std::string out;
  ASSERT_EQ(berth("events --json --since 10m --until 0s", &out), 0) << out;
  auto events = json_lines(out);
  std::set<std::string> actions;
  for (const auto& e : events) {
    EXPECT_EQ(e["attributes"]["com.docker.compose.project"], project_) << e.dump();
    actions.insert(e["action"].get<std::string>());
  }
  for (const char* a : {"create", "start", "die"}) EXPECT_TRUE(actions.count(a)) << a << " not in:\n" << out;
  ASSERT_EQ(berth("events --since 2000-01-01T00:00:00Z --until 2000-01-02T00:00:00Z", &out), 0) << out;
  EXPECT_EQ(out, "");
  EXPECT_NE(berth("events --since yesterday", &out), 0);
  EXPECT_NE(out.find("--since: invalid time"), std::string::npos) << out;
}

TEST_F(OutputUp, TopShowsATimeOfDayInStime) {
  up();
  std::string out;
  ASSERT_EQ(berth("top web", &out), 0) << out;
  EXPECT_NE(out.find("STIME"), std::string::npos) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("\n[^\n]* [0-2][0-9]:[0-5][0-9] +[0-9]{2}:[0-9]{2}:[0-9]{2} +httpd"))) << out;
}

TEST_F(OutputUp, ImagesHaveACreatedColumn) {
  up();
  std::string out;
  ASSERT_EQ(berth("images", &out), 0) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("^CONTAINER +REPOSITORY +TAG +IMAGE ID +SIZE +CREATED\n"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(project_ + "-web-1 .* (ago|N/A)\n"))) << out;
}

TEST_F(Output, VolumeLsPrintsItsHeaderWhenEmpty) {
  std::string out;
  ASSERT_EQ(berth_root("volume ls", &out), 0) << out;
  EXPECT_EQ(out, "DRIVER    VOLUME NAME\n");
}

TEST_F(Output, ProgressJsonPrintsJsonLines) {
  write(kStack);
  std::string out;
  std::string cmd = std::string(BERTH_BINARY_DIR) + "/berth --root " + quote(root_.string()) + " -p " + project_ +
                    " --project-directory " + quote(dir_.string()) + " --progress json create web";
  ASSERT_EQ(run_command("sh -c " + quote(cmd + " 2>&1 >/dev/null"), &out), 0) << out;  // stderr only
  auto lines = json_lines(out);
  ASSERT_FALSE(lines.empty());
  bool created = false;
  for (const auto& l : lines) created |= l.value("id", "") == "Container " + project_ + "-web-1" && l.value("text", "") == "Created";
  EXPECT_TRUE(created) << out;
}

TEST_F(Output, PullPolicyAndIncludeDeps) {
  write(R"(services:
  app:
    image: berth-examples/busybox:latest
    depends_on: [db]
  db:
    image: berth-examples/busybox:latest
)");
  std::string out;
  // the image is here: --policy missing pulls nothing (no registry is reachable in the tests)
  ASSERT_EQ(berth("pull --policy missing --include-deps app", &out), 0) << out;
  EXPECT_NE(berth("pull --policy sometimes", &out), 0);
  EXPECT_NE(out.find("--policy: invalid pull policy \"sometimes\""), std::string::npos) << out;
}

TEST_F(Output, ConfigListsOutputFileAndUnsetVariables) {
  write(R"(services:
  app:
    image: berth-examples/busybox:${TAG:-latest}
    build: ./app
    environment:
      X: $BERTH_TEST_UNSET_VAR
      Y: ${NEEDED:?say it}
    networks: [front]
  tool:
    build: ./tool
networks:
  front: {}
)");
  fs::create_directories(dir_ / "app");
  fs::create_directories(dir_ / "tool");
  std::string out;
  ASSERT_EQ(berth("config --images", &out), 1) << out;  // NEEDED is required
  std::string env = "NEEDED=1 ";
  auto cfg = [&](const std::string& args, std::string* o) {
    int rc = run_command(env + std::string(BERTH_BINARY_DIR) + "/berth --root " + quote(root_.string()) + " -p " +
                             project_ + " --project-directory " + quote(dir_.string()) + " " + args,
                         o);
    if (args != "config -q") *o = without_warnings(*o);
    return rc;
  };
  ASSERT_EQ(cfg("config --images", &out), 0) << out;
  EXPECT_EQ(out, "berth-examples/busybox:latest\n" + project_ + "-tool\n");
  ASSERT_EQ(cfg("config --networks", &out), 0) << out;
  EXPECT_NE(out.find("front\n"), std::string::npos) << out;
  ASSERT_EQ(cfg("config --environment", &out), 0) << out;
  EXPECT_NE(out.find("\nNEEDED=1\n"), std::string::npos) << out;
  ASSERT_EQ(cfg("config --variables", &out), 0) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("^NAME +REQUIRED +DEFAULT VALUE +ALTERNATE VALUE\n"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("\nNEEDED +true *\n"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("\nTAG +false +latest *\n"))) << out;
  // compose's warning for a bare variable that is not set
  ASSERT_EQ(cfg("config -q", &out), 0) << out;
  EXPECT_NE(out.find("The \"BERTH_TEST_UNSET_VAR\" variable is not set. Defaulting to a blank string."), std::string::npos)
      << out;
  // -o: the file, not stdout
  ASSERT_EQ(cfg("config -o " + quote((dir_ / "out.yaml").string()) + "", &out), 0) << out;
  EXPECT_EQ(out, "");
  std::ifstream in(dir_ / "out.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("services:"), std::string::npos) << text;
  EXPECT_NE(text.find((dir_ / "app").string()), std::string::npos) << text;
  // --no-path-resolution keeps the build context as written
  ASSERT_EQ(cfg("config --no-path-resolution --no-normalize", &out), 0) << out;
  EXPECT_EQ(out.find((dir_ / "app").string()), std::string::npos) << out;
  EXPECT_NE(out.find("context: ./app"), std::string::npos) << out;
}

TEST_F(Output, ConfigResolveImageDigestsPinsThePulledImage) {
  write(R"(services:
  app:
    image: berth-examples/busybox:latest
)");
  std::string out;
  ASSERT_EQ(berth("config --resolve-image-digests", &out), 0) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("image: docker.io/berth-examples/busybox:latest@sha256:[0-9a-f]{64}\n"))) << out;
}

}  // namespace
}  // namespace berth::test
