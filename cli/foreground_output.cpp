#include "cli/foreground_output.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#include "cli/raw_terminal.hpp"

namespace berth::cli {

void show_foreground_output(engine::Runtime& rt, const std::string& id) {
  engine::ContainerInfo info = rt.inspect(id);
  if (info.spec.tty || info.spec.stdin_open) {
    std::fflush(stdout);
    std::optional<RawTerminal> raw;
    if (info.spec.tty && info.spec.stdin_open) raw.emplace(STDIN_FILENO);
    if (rt.attach(id, STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO)) return;
  }
  engine::LogsOptions o;
  o.follow = true;
  rt.logs(id, o, [](const engine::LogEntry& e) {
    std::FILE* out = e.stream == "stderr" ? stderr : stdout;
    fmt::print(out, "{}", e.line);
    std::fflush(out);
  });
}

}  // namespace berth::cli
