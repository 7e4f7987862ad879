#pragma once
// A build context and a state root in a temporary directory, `berth image build` through the real
// CLI. TearDown checks that no build left anything behind: no container, no mount under the root,
// no staging directory, no build network (bridge, nft tables).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <regex>
#include <string>

#include "network/naming.hpp"
#include "network/netlink.hpp"
#include "network/network_manager.hpp"
#include "tests/support/privileged.hpp"
#include "tests/support/test_image.hpp"

namespace berth::test {

namespace fs = std::filesystem;

class BuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BERTH_REQUIRE_ROOT();
    char tmpl[] = "/tmp/berth-build-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    root_ = dir_ / "root";
    ctx_ = dir_ / "ctx";
    fs::create_directories(root_);
    fs::create_directories(ctx_);
    ensure_busybox_image(root_);
  }
  void TearDown() override {
    if (dir_.empty()) return;
    EXPECT_TRUE(nothing_left()) << leftovers_;
    // A build network left by a failure would outlive the root it belongs to: take it away.
    if (fs::exists(root_ / "networks" / "berth-build.json")) {
      try {
        network::NetworkManager(StatePaths{root_, root_ / "run"}).remove("berth-build", true);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "removing the build network: " << e.what();
      }
    }
    fs::remove_all(dir_);
  }

  // True when no container, mount or staging directory of a build remains.
  bool nothing_left() {
    leftovers_.clear();
    std::error_code ec;
    if (fs::exists(root_ / "containers"))
      for (auto& e : fs::directory_iterator(root_ / "containers", ec)) leftovers_ += "container " + e.path().string() + "\n";
    if (fs::exists(root_ / "build-cache" / "tmp"))
      for (auto& e : fs::directory_iterator(root_ / "build-cache" / "tmp", ec)) leftovers_ += "staging " + e.path().string() + "\n";
    for (const char* d : {"run/netns", "run/containers"})
      if (fs::exists(root_ / d))
        for (auto& e : fs::directory_iterator(root_ / d, ec)) leftovers_ += std::string(d) + " " + e.path().string() + "\n";
    // Every container the builds made (the event log names them) has no cgroup left, in any
    // hierarchy (v1 controllers, unified or pure v2).
    std::ifstream events(root_ / "run" / "events.jsonl");
    std::regex created(R"re("action":"create","id":"([0-9a-f]{64})")re");
    for (std::string line; std::getline(events, line);) {
      std::smatch m;
      if (!std::regex_search(line, m, created)) continue;
      for (auto& h : fs::directory_iterator("/sys/fs/cgroup", ec)) {
        auto cg = (fs::is_directory(h.path() / "berth") ? h.path() : fs::path("/sys/fs/cgroup")) / "berth" / m[1].str();
        if (fs::exists(cg)) leftovers_ += "cgroup " + cg.string() + "\n";
      }
    }
    // The build network of RUN steps goes with the build that used it last.
    std::string bridge = network::bridge_name(root_, "berth-build");
    if (network::Netlink().ifindex(bridge)) leftovers_ += "bridge " + bridge + "\n";
    std::string out;
    run_command("nft list tables", &out);
    if (out.find(network::table_name(bridge)) != std::string::npos) leftovers_ += "nft table " + network::table_name(bridge) + "\n";
    if (fs::exists(root_ / "networks" / "berth-build.json")) leftovers_ += "network record berth-build\n";
    run_command("grep -c '" + root_.string() + "' /proc/self/mountinfo", &out);
    if (std::stoi(out) != 0) leftovers_ += "mounts under " + root_.string() + "\n";
    return leftovers_.empty();
  }

  void write(const std::string& rel, const std::string& content) {
    fs::create_directories((ctx_ / rel).parent_path());
    std::ofstream(ctx_ / rel) << content;
  }
  std::string berth_cmd() const { return std::string(BERTH_BINARY_DIR) + "/berth --root '" + root_.string() + "' "; }
  // `image build ARGS CTX`, output (both streams) in *out.
  int build(const std::string& args, std::string* out = nullptr) {
    std::string local;
    return run_command(berth_cmd() + "image build --progress plain " + args + " '" + ctx_.string() + "' 2>&1",
                       out ? out : &local);
  }
  int berth(const std::string& args, std::string* out = nullptr) {
    std::string local;
    return run_command(berth_cmd() + args + " 2>&1", out ? out : &local);
  }
  // Lines "#N CACHED" / "#N DONE" by step title: the title of each step that ran (not cached).
  static std::vector<std::string> ran_steps(const std::string& out) {
    std::map<std::string, std::string> titles;
    std::vector<std::string> ran;
    std::regex title(R"(^#(\d+) (\[.*)$)"), done(R"(^#(\d+) DONE .*$)");
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      std::smatch m;
      if (std::regex_match(line, m, title)) titles[m[1]] = m[2];
      else if (std::regex_match(line, m, done)) ran.push_back(titles[m[1]]);
    }
    return ran;
  }
  static int count(const std::string& out, const std::string& what) {
    int n = 0;
    for (auto p = out.find(what); p != std::string::npos; p = out.find(what, p + 1)) ++n;
    return n;
  }

  fs::path dir_, root_, ctx_;
  std::string leftovers_;
};

}  // namespace berth::test
