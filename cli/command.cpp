#include "cli/command.hpp"

#include "base/error.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace berth::cli {

namespace {

struct Entry {
  int order;
  std::vector<std::string_view> commands;
  RegisterFn fn;
};

std::vector<Entry>& registry() {
  static std::vector<Entry> r;
  return r;
}

// The command the arguments name: the first one that is neither a global option nor the value
// of one. Empty when there is none, when help is asked for, or when an argument is not an option
// the app knows (CLI11 then reports it with every command registered).
std::string_view command_word(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.size() < 2 || a[0] != '-') return a;
    if (a == "--") return {};
    const bool long_form = a.substr(0, 2) == "--";
    const size_t eq = a.find('=');
    std::string name(long_form ? a.substr(0, eq) : a.substr(0, 2));
    const bool value_attached = long_form ? eq != std::string_view::npos : a.size() > 2;
    const CLI::Option* o = app.get_option_no_throw(name);
    if (!o || o == app.get_help_ptr()) return {};  // `berth --help up` shows every command too
    if (o->get_expected_min() > 0 && !value_attached) ++i;  // -f FILE, --profile P
  }
  return {};
}

std::vector<std::string> top_level_names(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::App* sub : app.get_subcommands({})) out.push_back(sub->get_name());
  return out;
}

}  // namespace

std::string_view named_command(const CLI::App& app, int argc, char** argv) { return command_word(app, argc, argv); }

CommandRegistration::CommandRegistration(int order, std::initializer_list<std::string_view> commands, RegisterFn fn) {
  registry().push_back(Entry{order, commands, fn});
}

CLI::App* command_group(CLI::App& app, const std::string& name, const std::string& help) {
  try {
    return app.get_subcommand(name);
  } catch (const CLI::OptionNotFound&) {
    return app.add_subcommand(name, help);
  }
}

std::int64_t parse_bytes(const std::string& flag, const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  std::string unit = text.substr(i);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::string units = "bkmgtp";
  std::size_t power = unit.empty() ? 0 : units.find(unit[0]);
  bool ok = i > 0 && power != std::string::npos &&
            (unit.size() <= 1 || (power > 0 && (unit.substr(1) == "b" || unit.substr(1) == "ib")));
  double value = 0;
  if (ok) {
    try {
      value = std::stod(text.substr(0, i));
    } catch (const std::exception&) {
      ok = false;
    }
  }
  if (!ok) throw UserError(flag + ": invalid size \"" + text + "\": use a number with an optional unit (b, k, m, g)");
  for (std::size_t p = 0; p < power; ++p) value *= 1024;
  return static_cast<std::int64_t>(value);
}

void parse_build_args(const std::vector<std::string>& in, std::map<std::string, std::string>& out) {
  for (const auto& a : in) {
    auto eq = a.find('=');
    if (eq == 0) throw UserError("invalid --build-arg \"" + a + "\": no name");
    if (eq != std::string::npos) {
      out[a.substr(0, eq)] = a.substr(eq + 1);
    } else if (const char* v = std::getenv(a.c_str())) {
      out[a] = v;
    }
  }
}

void register_commands(CLI::App& app, Context& ctx, int argc, char** argv) {
  auto& r = registry();
  std::stable_sort(r.begin(), r.end(), [](const Entry& a, const Entry& b) { return a.order < b.order; });
  const std::string_view word = command_word(app, argc, argv);
  auto names = [&](const Entry& e) { return std::find(e.commands.begin(), e.commands.end(), word) != e.commands.end(); };
  if (!word.empty() && std::any_of(r.begin(), r.end(), names)) {
    for (const Entry& e : r)
      if (names(e)) e.fn(app, ctx);
    return;
  }
  for (const Entry& e : r) {
    auto before = top_level_names(app);
    e.fn(app, ctx);
    // Each registration names what it adds, or a command line naming it would find nothing.
    for (const auto& n : top_level_names(app))
      if (std::find(before.begin(), before.end(), n) == before.end() &&
          std::find(e.commands.begin(), e.commands.end(), n) == e.commands.end())
        throw std::logic_error("command \"" + n + "\" is missing from its CommandRegistration");
  }
}

}  // namespace berth::cli
