#pragma once
// What the registry tests share: a temp dir, docker-registry (and helper servers) started on
// loopback and stopped by PID, the berth CLI under a per-test state root and Docker config dir,
// and a check that a failed pull left nothing in a store.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/privileged.hpp"
#include "tests/support/test_image.hpp"

namespace berth::test {

namespace fs = std::filesystem;

inline int free_loopback_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

inline std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline long count_lines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

// Lines of `s` that contain `needle`.
inline std::vector<std::string> lines_with(const std::string& s, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) out.push_back(line);
  return out;
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BERTH_REQUIRE_ROOT();
    char tmpl[] = "/tmp/berth-regtest-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "docker");  // DOCKER_CONFIG of every berth call unless a test says otherwise
  }

  void TearDown() override {
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) stop(*it);
    for (pid_t pid : children_) EXPECT_NE(::kill(pid, 0), 0) << "helper process " << pid << " still running";
    if (dir_.empty()) return;
    // Containers ran with --rm: no container state and no mount under the test dir may remain.
    std::error_code ec;
    for (auto& e : fs::directory_iterator(dir_, ec)) {
      fs::path containers = e.path() / "containers";
      if (fs::is_directory(containers)) {
        EXPECT_TRUE(fs::is_empty(containers)) << containers << " still holds containers";
      }
    }
    std::string mounts = read_text("/proc/self/mountinfo");
    EXPECT_EQ(mounts.find(dir_.string()), std::string::npos) << "a mount under " << dir_ << " remains";
    fs::remove_all(dir_, ec);
  }

  // Starts a program in the background, its output to `log`; stopped in TearDown (by PID).
  pid_t spawn(const std::vector<std::string>& argv, const fs::path& log) {
    pid_t pid = ::fork();
    if (pid == 0) {
      FILE* f = std::fopen(log.c_str(), "a");
      if (f) {
        ::dup2(::fileno(f), 1);
        ::dup2(::fileno(f), 2);
      }
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    children_.push_back(pid);
    return pid;
  }

  void stop(pid_t pid) {
    if (pid <= 0 || ::waitpid(pid, nullptr, WNOHANG) != 0) return;
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }

  // Waits until something answers HTTP at `url` (any status). `curl_flags` e.g. "-k".
  bool wait_http(const std::string& url, const std::string& curl_flags = "") {
    for (int i = 0; i < 200; ++i) {
      std::string code;
      run_command("curl -s -o /dev/null -w '%{http_code}' --max-time 2 " + curl_flags + " " + sh_quote(url), &code);
      if (!code.empty() && code != "000") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  struct RegistrySpec {
    std::string tls_cert, tls_key;  // both set: serve HTTPS
    std::string auth_yaml;          // an "auth:" section (top level, two-space indents)
    std::string name = "registry";  // its storage under dir_/<name>
  };

  // Starts docker-registry on a free loopback port; returns "127.0.0.1:PORT".
  std::string start_registry(const RegistrySpec& spec) {
    std::string host = "127.0.0.1:" + std::to_string(free_loopback_port());
    fs::path rdir = dir_ / spec.name;
    fs::create_directories(rdir);
    std::ofstream conf(rdir / "config.yml");
    conf << "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: " << (rdir / "data").string()
         << "\n  delete:\n    enabled: true\nhttp:\n  addr: " << host << "\n";
    bool tls = !spec.tls_cert.empty();
    if (tls) conf << "  tls:\n    certificate: " << spec.tls_cert << "\n    key: " << spec.tls_key << "\n";
    conf << spec.auth_yaml;
    conf.close();
    spawn({"/usr/bin/docker-registry", "serve", (rdir / "config.yml").string()}, rdir / "log");
    EXPECT_TRUE(wait_http((tls ? "https://" : "http://") + host + "/v2/", tls ? "-k" : ""))
        << "docker-registry did not start: " << read_text(rdir / "log");
    return host;
  }

  fs::path registry_data(const std::string& name = "registry") { return dir_ / name / "data" / "docker" / "registry" / "v2"; }

  // Runs berth with --root dir_/<root>; DOCKER_CONFIG is dir_/docker unless `env` sets it.
  // Output is stdout+stderr; `stderr_only` drops stdout (the progress lines).
  int berth(const std::string& root, const std::string& args, std::string* out, const std::string& env = "",
            bool stderr_only = false) {
    std::string e = env.find("DOCKER_CONFIG=") == std::string::npos ? "DOCKER_CONFIG=" + sh_quote((dir_ / "docker").string()) + " " + env : env;
    std::string cmd = e + " " + std::string(BERTH_BINARY_DIR) + "/berth --root " + sh_quote((dir_ / root).string()) + " " + args;
    if (stderr_only) cmd = "{ " + cmd + " 2>&1 >/dev/null; }";
    return run_command(cmd, out);
  }

  // Imports the busybox test image into root `root` and tags it `ref`.
  void make_local_image(const std::string& root, const std::string& ref) {
    ensure_busybox_image(dir_ / root);
    std::string out;
    ASSERT_EQ(berth(root, "image tag " + std::string(kBusyboxImage) + " " + ref, &out), 0) << out;
  }

  // What a store holds beyond nothing: blobs, unpacked layers, image records, refs, and (unless
  // allowed) partial downloads. Empty when the store is clean.
  std::string store_contents(const std::string& root, bool allow_partials = false) {
    fs::path images = dir_ / root / "images";
    std::string found;
    std::error_code ec;
    for (const char* sub : {"blobs", "layers", "images", "l"}) {
      for (auto it = fs::recursive_directory_iterator(images / sub, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec))
        if (!it->is_directory() || std::string(sub) == "layers") found += it->path().string() + "\n";
    }
    ec.clear();
    for (auto it = fs::directory_iterator(images / "tmp", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      bool partial = it->path().filename().string().starts_with("pull-");
      if (!partial || !allow_partials) found += it->path().string() + "\n";
    }
    std::string refs = read_text(images / "refs.json");
    if (refs.find_first_not_of("{} \n\t") != std::string::npos) found += "refs.json: " + refs;
    return found;
  }

  fs::path dir_;
  std::vector<pid_t> children_;
};

}  // namespace berth::test
