#include "cli/compose_logs.hpp"

#include <fmt/core.h>
#include <unistd.h>

namespace berth::cli {
namespace {

// "proj-web-1" -> "web-1": compose shows the service and number.
std::string short_name(const engine::ContainerInfo& c) {
  auto s = c.labels.find("com.docker.compose.service");
  auto n = c.labels.find("com.docker.compose.container-number");
  if (s == c.labels.end() || n == c.labels.end()) return c.name;
  return s->second + "-" + n->second;
}

}  // namespace

LogPrinter::LogPrinter(const std::vector<engine::ContainerInfo>& containers, bool color, bool prefix)
    : color_(color && ::isatty(1)), prefix_(prefix) {
  for (const auto& c : containers) width_ = std::max(width_, short_name(c).size());
}

std::string LogPrinter::prefix(const engine::ContainerInfo& c) const {
  if (!prefix_) return "";
  std::string name = short_name(c);
  std::string pad(width_ > name.size() ? width_ - name.size() : 0, ' ');
  if (!color_) return name + pad + "  | ";
  static const int colors[] = {36, 33, 32, 35, 34, 96, 93, 92, 95, 94};
  size_t h = std::hash<std::string>{}(c.labels.count("com.docker.compose.service") ? c.labels.at("com.docker.compose.service") : c.name);
  return fmt::format("\033[{}m{}{}  |\033[0m ", colors[h % 10], name, pad);
}

void LogPrinter::line(const engine::ContainerInfo& c, const std::string& text, const std::string& time) {
  std::lock_guard lk(m_);
  std::string body = text;
  if (body.empty() || body.back() != '\n') body += '\n';
  fmt::print("{}{}{}", prefix(c), time.empty() ? "" : time + " ", body);
  std::fflush(stdout);
}

void LogPrinter::follow(engine::Runtime& rt, const engine::ContainerInfo& c, const engine::LogsOptions& o) {
  rt.logs(c.id, o, [&](const engine::LogEntry& e) { line(c, e.line, o.timestamps ? e.time : ""); });
}

}  // namespace berth::cli
