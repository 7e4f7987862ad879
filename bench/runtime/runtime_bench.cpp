// Times Runtime::create + Runtime::start until the container's command runs (start returns once
// the init has exec'd the command), for N containers kept running, then measures each monitor's
// Pss (/proc/PID/smaps_rollup) with all of them up. Built by run.sh against the build dir's
// static libraries.
//   runtime_bench ROOT BUILD_DIR IMAGE N
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/paths.hpp"
#include "engine/image/image_store.hpp"
#include "engine/runtime/runtime.hpp"

namespace fs = std::filesystem;
using namespace berth;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

long field_kb(const std::string& text, const std::string& key) {
  auto pos = text.find("\n" + key + ":");
  if (pos == std::string::npos) return -1;
  return std::atol(text.c_str() + pos + key.size() + 2);
}

int monitor_pid(const fs::path& state) {
  std::istringstream in(read_text(state));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("monitor_pid=", 0) == 0) return std::atoi(line.c_str() + 12);
  return 0;
}

// CPU time, load-independent: the bench runs in a cgroup of its own, which its monitors (and the
// container inits until they join their container's cgroup) inherit; the containers' own cgroups
// account for the rest.
struct CpuAccount {
  fs::path dir;
  bool v2 = !fs::exists("/sys/fs/cgroup/cpuacct");
  static long long usage_ns(const fs::path& cg, bool v2) {
    if (!v2) return std::atoll(read_text(cg / "cpuacct.usage").c_str());
    std::string stat = read_text(cg / "cpu.stat");
    auto pos = stat.find("usage_usec ");
    return pos == std::string::npos ? 0 : std::atoll(stat.c_str() + pos + 11) * 1000;
  }
  fs::path base() const { return v2 ? fs::path("/sys/fs/cgroup") : fs::path("/sys/fs/cgroup/cpuacct"); }
  bool enter() {
    dir = base() / ("berth-bench-" + std::to_string(::getpid()));
    std::error_code ec;
    if (!fs::create_directory(dir, ec)) return false;
    std::ofstream(dir / "cgroup.procs") << "0";
    return read_text(dir / "cgroup.procs").find(std::to_string(::getpid())) != std::string::npos;
  }
  long long self_ns() const { return usage_ns(dir, v2); }
  long long container_ns(const std::string& id) const { return usage_ns(base() / "berth" / id, v2); }
  void leave() {
    if (dir.empty()) return;
    std::ofstream(base() / "cgroup.procs") << "0";
    for (int i = 0; i < 100 && ::rmdir(dir.c_str()) != 0; ++i) ::usleep(20000);  // monitors may still be exiting
  }
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5)];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: runtime_bench ROOT BUILD_DIR IMAGE N\n");
    return 2;
  }
  StatePaths paths = StatePaths::resolve(argv[1]);
  fs::path build = fs::absolute(argv[2]);  // the monitor runs from /
  int n = std::atoi(argv[4]);
  std::vector<std::string> ids;
  int rc = 0;
  CpuAccount cpu;
  bool accounting = !std::getenv("BENCH_NO_CPUACCT") && cpu.enter();
  try {
    engine::ImageStore store(paths);
    auto image = store.get(argv[3]);
    engine::RuntimeOptions o;
    o.berth_exe = fs::exists(build / "berth-init") ? build / "berth-init" : build / "berth";
    o.monitor_exe = build / "berth-monitor";
    engine::Runtime rt(paths, o);
    engine::ContainerSpec spec;
    spec.image = argv[3];
    spec.image_id = image.id;
    spec.lower_dirs = store.layer_dirs(image);
    spec.argv = {"sleep", "3600"};
    spec.env = store.config(image).env;

    std::vector<double> ms, create_ms;
    long long cpu_before = accounting ? cpu.self_ns() : 0;
    long alone_pss = -1, alone_rss = -1;
    for (int i = 0; i < n; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      std::string id = rt.create(spec);
      auto tc = std::chrono::steady_clock::now();
      ids.push_back(id);  // removed at the end even if the start fails
      rt.start(id);
      auto t1 = std::chrono::steady_clock::now();
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      create_ms.push_back(std::chrono::duration<double, std::milli>(tc - t0).count());
      // untimed (and not counted as CPU): the command really is what runs as the container's PID 1
      long long untimed_from = accounting ? cpu.self_ns() : 0;
      auto info = rt.inspect(id);
      if (read_text("/proc/" + std::to_string(info.pid) + "/cmdline") != std::string("sleep\0" "3600\0", 11))
        throw std::runtime_error("container " + id + " does not run its command");
      if (i == 0) {
        std::string rollup = read_text("/proc/" + std::to_string(monitor_pid(info.dir / "state")) + "/smaps_rollup");
        alone_pss = field_kb(rollup, "Pss");
        alone_rss = field_kb(rollup, "Rss");
      }
      if (accounting) cpu_before += cpu.self_ns() - untimed_from;
    }
    double cpu_ms_per = -1;
    if (accounting) {
      long long total = cpu.self_ns() - cpu_before;
      for (const auto& id : ids) total += cpu.container_ns(id);
      cpu_ms_per = static_cast<double>(total) / 1e6 / n;
    }
    long total_pss = 0, total_rss = 0, max_pss = 0;
    for (const auto& id : ids) {
      std::string rollup = read_text("/proc/" + std::to_string(monitor_pid(rt.inspect(id).dir / "state")) + "/smaps_rollup");
      long pss = field_kb(rollup, "Pss");
      if (pss < 0) throw std::runtime_error("no smaps_rollup for the monitor of " + id);
      total_pss += pss;
      total_rss += field_kb(rollup, "Rss");
      max_pss = std::max(max_pss, pss);
    }
    double mean = 0;
    for (double v : ms) mean += v / static_cast<double>(ms.size());
    std::printf("create+start to running, %d containers (ms): median %.2f  p10 %.2f  p90 %.2f  min %.2f  max %.2f  mean %.2f\n",
                n, percentile(ms, 0.5), percentile(ms, 0.1), percentile(ms, 0.9), percentile(ms, 0.0), percentile(ms, 1.0),
                mean);
    std::printf("  of which create: median %.2f ms\n", percentile(create_ms, 0.5));
    if (accounting)
      std::printf("CPU time (user+sys, CLI side + monitor + init) per create+start: %.2f ms\n", cpu_ms_per);
    std::printf("monitor Pss with %d running: %.3f MiB per container (max %.3f MiB), Rss %.3f MiB\n", n,
                static_cast<double>(total_pss) / n / 1024.0, static_cast<double>(max_pss) / 1024.0,
                static_cast<double>(total_rss) / n / 1024.0);
    std::printf("monitor Pss with 1 running: %.3f MiB, Rss %.3f MiB\n", static_cast<double>(alone_pss) / 1024.0,
                static_cast<double>(alone_rss) / 1024.0);
    std::printf("median_ms=%.2f pss_mib=%.3f pss_alone_mib=%.3f\n", percentile(ms, 0.5),
                static_cast<double>(total_pss) / n / 1024.0, static_cast<double>(alone_pss) / 1024.0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "runtime_bench: %s\n", describe(e).c_str());
    rc = 1;
  }
  // untimed cleanup
  try {
    engine::RuntimeOptions o;
    o.berth_exe = build / "berth";
    o.monitor_exe = build / "berth-monitor";
    engine::Runtime rt(paths, o);
    auto t0 = std::chrono::steady_clock::now();
    for (const auto& id : ids) rt.remove(id, true);
    if (!ids.empty())
      std::printf("rm -f: %.2f ms per container\n",
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / ids.size());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "runtime_bench: cleanup: %s\n", describe(e).c_str());
    rc = 1;
  }
  cpu.leave();
  return rc;
}
