#include "cli/stats_view.hpp"

#include <fmt/core.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <map>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/go_template.hpp"
#include "base/human_size.hpp"

namespace berth::cli {
namespace {

using engine::ContainerStats;

// docker stats' fields and their table headers.
const std::vector<std::pair<std::string, std::string>> kFields = {
    {"ID", "CONTAINER ID"},          {"Name", "NAME"},   {"CPUPerc", "CPU %"},       {"MemUsage", "MEM USAGE / LIMIT"},
    {"MemPerc", "MEM %"},            {"NetIO", "NET I/O"}, {"BlockIO", "BLOCK I/O"}, {"PIDs", "PIDS"},
    {"Container", "CONTAINER"}};
const char* kDefaultTemplate = "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";
const std::regex kPlaceholder(R"(\{\{\s*\.(\w+)\s*\}\})");

std::uint64_t host_memory() {
  struct sysinfo si {};
  return ::sysinfo(&si) == 0 ? static_cast<std::uint64_t>(si.totalram) * si.mem_unit : 0;
}

std::map<std::string, std::string> fields(const engine::ContainerInfo& c, const ContainerStats& prev,
                                          const ContainerStats& cur, bool no_trunc) {
  double span = std::chrono::duration<double, std::nano>(cur.sampled - prev.sampled).count();
  double cpu = span > 0 && cur.cgroup.cpu_ns >= prev.cgroup.cpu_ns
                   ? static_cast<double>(cur.cgroup.cpu_ns - prev.cgroup.cpu_ns) / span * 100
                   : 0;
  std::uint64_t limit = cur.cgroup.memory_limit.value_or(host_memory());
  if (!c.running()) limit = 0;
  double mem = limit > 0 ? static_cast<double>(cur.cgroup.memory) / static_cast<double>(limit) * 100 : 0;
  std::string id = no_trunc ? c.id : c.id.substr(0, 12);
  return {{"ID", id},
          {"Container", id},
          {"Name", c.name},
          {"CPUPerc", fmt::format("{:.2f}%", cpu)},
          {"MemUsage", binary_size(cur.cgroup.memory) + " / " + binary_size(limit)},
          {"MemPerc", fmt::format("{:.2f}%", mem)},
          {"NetIO", human_size(cur.net_rx) + " / " + human_size(cur.net_tx)},
          {"BlockIO", human_size(cur.cgroup.io_read) + " / " + human_size(cur.cgroup.io_write)},
          {"PIDs", std::to_string(cur.cgroup.pids)}};
}

std::string expand(const std::string& tmpl, const std::map<std::string, std::string>& values) {
  std::string out;
  auto last = tmpl.cbegin();
  for (std::sregex_iterator it(tmpl.begin(), tmpl.end(), kPlaceholder), end; it != end; ++it) {
    out.append(last, tmpl.cbegin() + it->position());
    out += values.at((*it)[1].str());
    last = tmpl.cbegin() + it->position() + it->length();
  }
  out.append(last, tmpl.cend());
  // Go templates write "\t" as a tab.
  for (std::size_t p; (p = out.find("\\t")) != std::string::npos;) out.replace(p, 2, "\t");
  return out;
}

// tab-separated cells aligned as docker's tabwriter does: widest cell plus three spaces.
void print_aligned(const std::vector<std::string>& lines) { fmt::print("{}", align_columns(lines)); }

void print_round(const std::vector<engine::ContainerInfo>& shown, const std::map<std::string, ContainerStats>& prev,
                 const std::map<std::string, ContainerStats>& cur, const StatsOptions& o) {
  std::vector<std::map<std::string, std::string>> rows;
  for (const auto& c : shown) rows.push_back(fields(c, prev.at(c.id), cur.at(c.id), o.no_trunc));
  if (o.format == "json") {
    for (const auto& r : rows) fmt::print("{}\n", nlohmann::json(r).dump());
    return;
  }
  std::string tmpl = o.format == "table" ? std::string("table ") + kDefaultTemplate : o.format;
  bool table = tmpl.rfind("table", 0) == 0;
  if (table) tmpl = tmpl.substr(tmpl.size() > 5 && tmpl[5] == ' ' ? 6 : 5);
  if (table && tmpl.empty()) tmpl = kDefaultTemplate;
  std::vector<std::string> lines;
  if (table) {
    std::map<std::string, std::string> headers(kFields.begin(), kFields.end());
    lines.push_back(expand(tmpl, headers));
  }
  for (const auto& r : rows) lines.push_back(expand(tmpl, r));
  if (table) {
    print_aligned(lines);
  } else {
    for (const auto& l : lines) fmt::print("{}\n", l);
  }
}

}  // namespace

void check_stats_format(const std::string& format) {
  if (format == "table" || format == "json") return;
  for (std::sregex_iterator it(format.begin(), format.end(), kPlaceholder), end; it != end; ++it) {
    std::string name = (*it)[1].str();
    if (std::none_of(kFields.begin(), kFields.end(), [&](const auto& f) { return f.first == name; }))
      throw UserError("--format: stats have no field ." + name + " (ID, Name, CPUPerc, MemUsage, MemPerc, NetIO, BlockIO, PIDs, Container)");
  }
}

int show_stats(const engine::Runtime& rt, const std::function<std::vector<engine::ContainerInfo>()>& list,
               const StatsOptions& o) {
  bool tty = ::isatty(STDOUT_FILENO);
  std::map<std::string, ContainerStats> prev;
  for (;;) {
    auto shown = list();
    std::map<std::string, ContainerStats> cur;
    for (const auto& c : shown) cur[c.id] = rt.stats(c);
    bool fresh = false;  // a container without an earlier sample: take a second one a second later
    for (const auto& c : shown) fresh |= !prev.count(c.id);
    if (fresh) {
      for (auto& [id, s] : cur)
        if (!prev.count(id)) prev[id] = s;
      std::this_thread::sleep_for(std::chrono::seconds(1));
      for (const auto& c : shown) cur[c.id] = rt.stats(c);
    }
    // A stream on a terminal redraws in place, as docker does.
    if (!o.no_stream && tty) fmt::print("\033[2J\033[H");
    print_round(shown, prev, cur, o);
    std::fflush(stdout);
    if (o.no_stream) return 0;
    prev = std::move(cur);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace berth::cli
