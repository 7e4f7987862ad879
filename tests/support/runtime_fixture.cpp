#include "tests/support/runtime_fixture.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/privileged.hpp"
#include "tests/support/test_image.hpp"

namespace berth::test {
namespace fs = std::filesystem;

namespace {

fs::path& shared_dir() {
  static fs::path dir;
  return dir;
}

// Removes the shared state root after the last test (containers first, so nothing stays mounted).
class SharedRootCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    fs::path dir = shared_dir();
    if (dir.empty()) return;
    std::string berth = std::string(BERTH_BINARY_DIR) + "/berth --root '" + (dir / "root").string() + "'";
    std::string out;
    run_command(berth + " container ls -a --format json", &out);
    for (const auto& line : lines_of(out)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object()) run_command(berth + " container rm -f " + j.value("ID", ""));
    }
    run_command("grep -c '" + dir.string() + "' /proc/self/mountinfo", &out);
    EXPECT_EQ(std::atoi(out.c_str()), 0) << "mounts left under " << dir;
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

[[maybe_unused]] const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new SharedRootCleanup);

}  // namespace

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

fs::path RuntimeTest::root() {
  if (shared_dir().empty()) {
    char tmpl[] = "/tmp/berth-runtime-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    shared_dir() = tmpl;
    fs::create_directories(shared_dir() / "root");
  }
  return shared_dir() / "root";
}

std::string RuntimeTest::image() { return kBusyboxImage; }

std::string RuntimeTest::berth_exe() const { return std::string(BERTH_BINARY_DIR) + "/berth"; }

std::string RuntimeTest::quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string RuntimeTest::read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool RuntimeTest::process_alive(int pid) {
  if (pid <= 0) return false;
  std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return false;
  auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

bool RuntimeTest::poll_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

void RuntimeTest::SetUp() {
  BERTH_REQUIRE_ROOT();
  ensure_busybox_image(root(), image());
  auto ids = all_ids();
  before_ = std::set<std::string>(ids.begin(), ids.end());
}

void RuntimeTest::TearDown() {
  if (shared_dir().empty()) return;  // skipped
  for (const auto& id : all_ids()) {
    if (before_.count(id)) continue;
    std::string full;
    int pid = 0, mon = 0;
    auto j = inspect(id);
    if (j.is_object()) {
      full = j.value("Id", "");
      pid = j["State"].value("Pid", 0);
      mon = monitor_pid(full);
    }
    std::string out;
    EXPECT_EQ(berth("container rm -f " + id, &out), 0) << out;
    if (!full.empty()) {
      EXPECT_EQ(leftovers(full, pid, mon), "") << "container " << id;
    }
  }
  auto ids = all_ids();
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), before_) << "containers left by the test";
}

int RuntimeTest::berth(const std::string& args, std::string* out) {
  std::string local;
  return run_command(berth_exe() + " --root " + quote(root().string()) + " " + args, out ? out : &local);
}

int RuntimeTest::berth_split(const std::string& args, std::string* out, std::string* err) {
  char tmpl[] = "/tmp/berth-runtime-err-XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd >= 0) ::close(fd);
  std::string cmd = berth_exe() + " --root " + quote(root().string()) + " " + args + " 2>" + tmpl;
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string text;
  char buf[4096];
  size_t n;
  while (p && (n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  int status = p ? ::pclose(p) : -1;
  if (out) *out = text;
  if (err) *err = read_text(tmpl);
  ::unlink(tmpl);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string RuntimeTest::run_detached(const std::string& flags, const std::string& command) {
  std::string out;
  int rc = berth("container run -d " + flags + " " + image() + " " + command, &out);
  EXPECT_EQ(rc, 0) << out;
  auto ls = lines_of(out);
  if (rc != 0 || ls.empty()) return "";
  EXPECT_EQ(ls.back().size(), 64u) << out;
  return ls.back();
}

std::string RuntimeTest::exec(const std::string& id, const std::string& args, int* rc) {
  std::string out;
  int r = berth("container exec " + id + " " + args, &out);
  if (rc) *rc = r;
  return out;
}

nlohmann::json RuntimeTest::inspect(const std::string& id) {
  std::string out, err;
  if (berth_split("container inspect " + id, &out, &err) != 0) return nullptr;
  return nlohmann::json::parse(out, nullptr, false);
}

std::string RuntimeTest::status(const std::string& id) {
  auto j = inspect(id);
  if (!j.is_object()) return "";
  return j["State"].value("Status", "");
}

bool RuntimeTest::wait_exited(const std::string& id, std::chrono::milliseconds timeout) {
  return poll_until([&] { return status(id) == "exited"; }, timeout);
}

std::vector<std::string> RuntimeTest::all_ids() {
  std::string out, err;
  berth_split("container ls -a --format json", &out, &err);
  std::vector<std::string> ids;
  for (const auto& line : lines_of(out)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object()) ids.push_back(j.value("ID", ""));
  }
  return ids;
}

int RuntimeTest::monitor_pid(const std::string& full_id) {
  for (const auto& line : lines_of(read_text(root() / "containers" / full_id / "state")))
    if (line.rfind("monitor_pid=", 0) == 0) return std::atoi(line.c_str() + 12);
  return 0;
}

std::string RuntimeTest::leftovers(const std::string& full_id, int pid, int monitor) {
  std::string problems;
  for (const fs::path& p : {root() / "containers" / full_id, root() / "run" / "containers" / full_id,
                            root() / "run" / "netns" / full_id}) {
    std::error_code ec;
    if (fs::exists(p, ec)) problems += "state left: " + p.string() + "\n";
  }
  for (const auto& c : {"memory", "cpu", "cpuacct", "cpuset", "pids", "freezer", "blkio", "devices", "unified", ""}) {
    fs::path p = fs::path("/sys/fs/cgroup") / c / "berth" / full_id;
    std::error_code ec;
    if (fs::exists(p, ec)) problems += "cgroup left: " + p.string() + "\n";
  }
  if (read_text("/proc/self/mountinfo").find(full_id) != std::string::npos) problems += "mount left (mountinfo names the id)\n";
  // Give the kernel a moment to finish tearing the processes down.
  poll_until([&] { return !process_alive(pid) && !process_alive(monitor); }, std::chrono::seconds(5));
  if (process_alive(pid)) problems += "container process left: " + std::to_string(pid) + "\n";
  if (process_alive(monitor)) problems += "monitor left: " + std::to_string(monitor) + "\n";
  return problems;
}

}  // namespace berth::test
