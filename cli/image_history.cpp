// `berth image history IMAGE`: docker's columns (IMAGE, CREATED, CREATED BY, SIZE, COMMENT).
#include <fmt/core.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/human_size.hpp"
#include "cli/command.hpp"
#include "engine/image/image_history.hpp"

namespace berth::cli {
namespace {

// Seconds since the epoch of an RFC 3339 time ("2024-01-02T03:04:05.123Z"); -1 when unreadable.
std::time_t parse_time(const std::string& t) {
  std::tm tm{};
  const char* rest = ::strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return -1;
  return ::timegm(&tm);
}

// Docker's units.HumanDuration + " ago".
std::string ago(const std::string& created) {
  std::time_t t = parse_time(created);
  if (t < 0) return "N/A";
  long s = static_cast<long>(std::time(nullptr) - t);
  auto plural = [](long n, const char* unit) { return fmt::format("{} {}{} ago", n, unit, n == 1 ? "" : "s"); };
  if (s < 1) return "Less than a second ago";
  if (s == 1) return "1 second ago";
  if (s < 60) return plural(s, "second");
  long m = s / 60;
  if (m == 1) return "About a minute ago";
  if (m < 60) return plural(m, "minute");
  long h = m / 60;
  if (h == 1) return "About an hour ago";
  if (h < 48) return plural(h, "hour");
  if (h < 24 * 7 * 2) return plural(h / 24, "day");
  if (h < 24 * 30 * 2) return plural(h / 24 / 7, "week");
  if (h < 24 * 365 * 2) return plural(h / 24 / 30, "month");
  return plural(h / 24 / 365, "year");
}

// Docker shows a command on one line, cut to 45 characters with an ellipsis.
std::string shown_command(std::string s, bool trunc) {
  for (auto& c : s)
    if (c == '\n' || c == '\t') c = ' ';
  if (trunc && s.size() > 45) s = s.substr(0, 44) + "\u2026";
  return s;
}

const CommandRegistration reg(311, {"image"}, [](CLI::App& app, Context& ctx) {
  CLI::App* image = command_group(app, "image", "Manage images");
  auto* cmd = image->add_subcommand("history", "Show the history of an image");
  auto name = std::make_shared<std::string>();
  auto no_trunc = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  auto format = std::make_shared<std::string>("table");
  cmd->add_option("image", *name, "Image")->required();
  cmd->add_flag("--no-trunc", *no_trunc, "Do not truncate ids and commands");
  cmd->add_flag("-q,--quiet", *quiet, "Only show image ids");
  cmd->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([&ctx, name, no_trunc, quiet, format] {
    ctx.action = [&ctx, name, no_trunc, quiet, format] {
      engine::ImageStore store(ctx.global.state());
      auto rows = engine::image_history(store, store.get(*name));
      auto id_of = [&](const engine::HistoryRow& r) {
        if (r.id.empty()) return std::string("<missing>");
        return *no_trunc ? r.id : r.id.substr(7, 12);
      };
      if (*quiet) {
        for (auto& r : rows) fmt::print("{}\n", id_of(r));
        return 0;
      }
      if (*format == "json") {
        for (auto& r : rows)
          fmt::print("{}\n", nlohmann::json{{"ID", id_of(r)}, {"CreatedAt", r.created}, {"CreatedSince", ago(r.created)},
                                            {"CreatedBy", shown_command(r.created_by, !*no_trunc)},
                                            {"Size", human_size(static_cast<std::uint64_t>(r.size))}, {"Comment", r.comment}}
                                 .dump());
        return 0;
      }
      std::size_t idw = *no_trunc ? 71 : 12;
      fmt::print("{:<{}}   {:<24} {:<45}   {:<9} {}\n", "IMAGE", idw, "CREATED", "CREATED BY", "SIZE", "COMMENT");
      for (auto& r : rows)
        fmt::print("{:<{}}   {:<24} {:<45}   {:<9} {}\n", id_of(r), idw, ago(r.created), shown_command(r.created_by, !*no_trunc),
                   human_size(static_cast<std::uint64_t>(r.size)), r.comment);
      return 0;
    };
  });
});

}  // namespace
}  // namespace berth::cli
