#include "tests/support/test_image.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <stdexcept>

namespace berth::test {

int run_command(const std::string& cmd, std::string* out) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  int status = ::pclose(p);
  if (out) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string ensure_busybox_image(const std::filesystem::path& state_root, const std::string& name,
                                 const std::filesystem::path& extra_dir) {
  std::string berth = std::string(BERTH_BINARY_DIR) + "/berth";
  std::string root = "--root " + quote(state_root.string());
  std::string out;
  if (run_command(berth + " " + root + " image inspect " + quote(name), &out) == 0) return name;
  std::string cmd = "BERTH_ROOT=" + quote(state_root.string()) + " " +
                    (extra_dir.empty() ? std::string() : "EXTRA_DIR=" + quote(extra_dir.string()) + " ") + quote(std::string(BERTH_SOURCE_DIR) + "/scripts/make-busybox-image.sh") +
                    " " + quote(berth) + " " + quote(name);
  if (run_command(cmd, &out) != 0) throw std::runtime_error("ensure_busybox_image: " + cmd + " failed: " + out);
  return name;
}

}  // namespace berth::test
