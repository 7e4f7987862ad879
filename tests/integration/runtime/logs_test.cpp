// The monitor's json-file log: both streams kept apart and in order, timestamps, --tail,
// -f until the container stops, a last line without newline, max-size/max-file rotation.
#include <filesystem>

#include "tests/support/runtime_fixture.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class RuntimeLogs : public RuntimeTest {
 protected:
  fs::path log_path(const std::string& id) { return inspect(id).value("LogPath", ""); }
};

TEST_F(RuntimeLogs, BothStreamsAreKeptApartAndInOrder) {
  // 300 lines on each stream, interleaved; a pause now and then so that cross-stream order is
  // observable (two pipes give no order within one read of the monitor, as with Docker).
  std::string id = run_detached(
      "", "sh -c " + quote("for i in $(seq 1 300); do echo out$i; echo err$i >&2; case $i in *00) sleep 0.2;; esac; done; "
                           "echo marker-out; sleep 0.2; echo marker-err >&2; sleep 0.2; echo last-out"));
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(wait_exited(id));
  std::string out, err;
  ASSERT_EQ(berth_split("container logs " + id, &out, &err), 0) << err;
  auto o = lines_of(out), e = lines_of(err);
  ASSERT_EQ(o.size(), 302u) << out;
  ASSERT_EQ(e.size(), 301u) << err;
  for (int i = 1; i <= 300; ++i) {
    EXPECT_EQ(o[i - 1], "out" + std::to_string(i));
    EXPECT_EQ(e[i - 1], "err" + std::to_string(i));
  }
  // The file is Docker's json-file format, one JSON object per line, times never going back.
  auto lines = lines_of(read_text(log_path(id)));
  ASSERT_EQ(lines.size(), 603u);
  std::string last_time;
  std::vector<std::string> markers;
  for (const auto& l : lines) {
    auto j = nlohmann::json::parse(l);
    ASSERT_TRUE(j.contains("log") && j.contains("stream") && j.contains("time")) << l;
    std::string t = j["time"];
    EXPECT_GE(t, last_time) << l;
    last_time = t;
    std::string text = j["log"];
    if (text.rfind("marker", 0) == 0 || text == "last-out\n") markers.push_back(j["stream"].get<std::string>() + ":" + text);
    if (text.rfind("out", 0) == 0) {
      EXPECT_EQ(j["stream"], "stdout") << l;
    }
    if (text.rfind("err", 0) == 0) {
      EXPECT_EQ(j["stream"], "stderr") << l;
    }
  }
  EXPECT_EQ(markers, (std::vector<std::string>{"stdout:marker-out\n", "stderr:marker-err\n", "stdout:last-out\n"}));
  EXPECT_EQ(last_time.size(), 30u) << "RFC 3339 with nanoseconds: " << last_time;
}

TEST_F(RuntimeLogs, TailTimestampsAndALastLineWithoutNewline) {
  std::string id = run_detached("", "sh -c " + quote("seq 1 5; printf unterminated"));
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(wait_exited(id));
  std::string out, err;
  ASSERT_EQ(berth_split("container logs " + id, &out, &err), 0) << err;
  EXPECT_EQ(out, "1\n2\n3\n4\n5\nunterminated");
  ASSERT_EQ(berth_split("container logs --tail 2 " + id, &out, &err), 0) << err;
  EXPECT_EQ(out, "5\nunterminated");
  ASSERT_EQ(berth_split("container logs -t --tail 1 " + id, &out, &err), 0) << err;
  ASSERT_GT(out.size(), 31u) << out;
  EXPECT_EQ(out.substr(30), " unterminated") << out;
  EXPECT_EQ(out[4], '-');
  EXPECT_EQ(out[10], 'T');
  EXPECT_EQ(out[29], 'Z');
  ASSERT_EQ(berth_split("container logs --since 1h " + id, &out, &err), 0) << err;
  EXPECT_EQ(lines_of(out).size(), 6u);
}

TEST_F(RuntimeLogs, FollowStreamsUntilTheContainerStops) {
  std::string id = run_detached("", "sh -c " + quote("for i in 1 2 3 4 5; do echo tick$i; sleep 0.3; done"));
  ASSERT_FALSE(id.empty());
  std::string out, err;
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(berth_split("container logs -f " + id, &out, &err), 0) << err;
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(700)) << "returned before the end";
  EXPECT_EQ(out, "tick1\ntick2\ntick3\ntick4\ntick5\n");
  EXPECT_EQ(status(id), "exited");
}

TEST_F(RuntimeLogs, RotationKeepsMaxFileFilesOfAboutMaxSize) {
  std::string id = run_detached("--log-opt max-size=2k --log-opt max-file=3", "seq 1 3000");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(wait_exited(id));
  fs::path log = log_path(id);
  ASSERT_TRUE(fs::exists(log));
  EXPECT_TRUE(fs::exists(log.string() + ".1"));
  EXPECT_TRUE(fs::exists(log.string() + ".2"));
  EXPECT_FALSE(fs::exists(log.string() + ".3")) << "max-file=3 keeps three files";
  for (const auto& p : {log.string(), log.string() + ".1", log.string() + ".2"})
    EXPECT_LE(fs::file_size(p), 2048u + 128u) << p;  // rotation happens before the write that would pass it
  // `logs` reads the rotated files oldest first: a contiguous run of numbers ending with 3000.
  std::string out, err;
  ASSERT_EQ(berth_split("container logs " + id, &out, &err), 0) << err;
  auto l = lines_of(out);
  ASSERT_GT(l.size(), 50u);
  ASSERT_LT(l.size(), 3000u) << "nothing was rotated away";
  EXPECT_EQ(l.back(), "3000");
  int first = std::stoi(l.front());
  for (std::size_t i = 0; i < l.size(); ++i) ASSERT_EQ(l[i], std::to_string(first + static_cast<int>(i)));

  // max-file=1: the one file is truncated instead.
  std::string one = run_detached("--log-opt max-size=1k --log-opt max-file=1", "seq 1 3000");
  ASSERT_TRUE(wait_exited(one));
  EXPECT_FALSE(fs::exists(log_path(one).string() + ".1"));
  EXPECT_LE(fs::file_size(log_path(one)), 1024u + 128u);
  ASSERT_EQ(berth_split("container logs " + one, &out, &err), 0) << err;
  EXPECT_EQ(lines_of(out).back(), "3000");
}

TEST_F(RuntimeLogs, BadLogOptionsAreRefused) {
  std::string out;
  EXPECT_NE(berth("container run -d --log-opt max-size=big " + image() + " true", &out), 0);
  EXPECT_NE(out.find("max-size"), std::string::npos) << out;
  EXPECT_NE(berth("container run -d --log-opt compress=true " + image() + " true", &out), 0);
  EXPECT_NE(out.find("unsupported"), std::string::npos) << out;
  EXPECT_TRUE(all_ids().empty());
}

}  // namespace
}  // namespace berth::test
