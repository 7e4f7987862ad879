// `berth volume create|ls|inspect|rm|prune`: the volume store from the command line. Whether a
// volume is in use is decided here, where containers (engine/) and volumes (volumes/) meet.
#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <set>

#include "base/error.hpp"
#include "base/go_template.hpp"
#include "cli/command.hpp"
#include "engine/runtime/runtime.hpp"
#include "volumes/volume_store.hpp"

namespace berth::cli {
namespace {

using nlohmann::json;
using volumes::VolumeInfo;
using volumes::VolumeStore;

// Volume name -> names of the containers (any state) that mount it.
std::map<std::string, std::vector<std::string>> volume_users(const StatePaths& paths, const VolumeStore& store) {
  std::map<std::string, std::string> by_source;
  for (const auto& v : store.list()) by_source[v.source().string()] = v.name;
  std::map<std::string, std::vector<std::string>> users;
  for (const auto& c : engine::Runtime(paths).list())
    for (const auto& m : c.spec.mounts)
      if (m.type == engine::MountSpec::Type::VolumeDir)
        if (auto it = by_source.find(m.source); it != by_source.end()) users[it->second].push_back(c.name);
  return users;
}

json to_json(const VolumeInfo& v) {
  return {{"Name", v.name},       {"Driver", v.driver},  {"Mountpoint", v.mountpoint.string()},
          {"Labels", v.labels},   {"Options", v.options}, {"CreatedAt", v.created},
          {"Scope", "local"}};
}

// Docker's `--filter` forms that scripts use: dangling=true|false, label=KEY[=VALUE], name=SUBSTR.
bool matches(const VolumeInfo& v, const std::vector<std::string>& filters, bool used) {
  for (const auto& f : filters) {
    auto eq = f.find('=');
    if (eq == std::string::npos) throw UserError("bad filter \"" + f + "\": expected KEY=VALUE");
    std::string key = f.substr(0, eq), value = f.substr(eq + 1);
    if (key == "dangling") {
      if (value != "true" && value != "false" && value != "1" && value != "0")
        throw UserError("bad filter \"" + f + "\": dangling takes true or false");
      if ((value == "true" || value == "1") == used) return false;
    } else if (key == "label") {
      auto eq2 = value.find('=');
      auto it = v.labels.find(value.substr(0, eq2));
      if (it == v.labels.end() || (eq2 != std::string::npos && it->second != value.substr(eq2 + 1))) return false;
    } else if (key == "name") {
      if (v.name.find(value) == std::string::npos) return false;
    } else if (key == "driver") {
      if (v.driver != value) return false;
    } else {
      throw UserError("bad filter \"" + f + "\": supported keys are dangling, label, name, driver");
    }
  }
  return true;
}

void check_unused(const std::map<std::string, std::vector<std::string>>& users, const std::string& name) {
  auto it = users.find(name);
  if (it == users.end()) return;
  std::string list;
  for (const auto& c : it->second) list += (list.empty() ? "" : ", ") + c;
  throw UserError("volume " + name + " is in use by container(s) " + list);
}

const CommandRegistration reg(320, {"volume"}, [](CLI::App& app, Context& ctx) {
  auto* volume = app.add_subcommand("volume", "Manage volumes");
  volume->require_subcommand(1);
  {
    auto* cmd = volume->add_subcommand("create", "Create a volume");
    auto name = std::make_shared<std::string>();
    auto driver = std::make_shared<std::string>("local");
    auto labels = std::make_shared<std::vector<std::string>>();
    auto opts = std::make_shared<std::vector<std::string>>();
    cmd->add_option("name", *name, "Volume name (default: a random one)");
    cmd->add_option("-d,--driver", *driver, "Volume driver (only local)");
    cmd->add_option("--label", *labels, "KEY=VALUE label");
    cmd->add_option("-o,--opt", *opts, "Driver option KEY=VALUE (type, device, o)");
    cmd->callback([&ctx, name, driver, labels, opts] {
      ctx.action = [&ctx, name, driver, labels, opts] {
        volumes::VolumeCreate req;
        req.name = *name;
        req.driver = *driver;
        auto split = [](const std::string& kv, const char* what) {
          auto eq = kv.find('=');
          if (eq == std::string::npos || eq == 0) throw UserError(fmt::format("bad {} \"{}\": expected KEY=VALUE", what, kv));
          return std::pair(kv.substr(0, eq), kv.substr(eq + 1));
        };
        for (const auto& l : *labels) req.labels.insert(split(l, "--label"));
        for (const auto& o : *opts) req.driver_opts.insert(split(o, "--opt"));
        fmt::print("{}\n", VolumeStore(ctx.global.state()).ensure(req).info.name);
        return 0;
      };
    });
  }
  {
    auto* cmd = volume->add_subcommand("ls", "List volumes")->alias("list");
    auto format = std::make_shared<std::string>("table");
    auto quiet = std::make_shared<bool>(false);
    auto filters = std::make_shared<std::vector<std::string>>();
    cmd->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
    cmd->add_flag("-q,--quiet", *quiet, "Only show volume names");
    cmd->add_option("-f,--filter", *filters, "dangling=true|false, label=KEY[=VALUE], name=SUBSTR, driver=NAME");
    cmd->callback([&ctx, format, quiet, filters] {
      ctx.action = [&ctx, format, quiet, filters] {
        VolumeStore store(ctx.global.state());
        auto users = volume_users(ctx.global.state(), store);
        json rows = json::array();
        // The header also when nothing is listed, as docker prints it.
        std::vector<std::string> lines = {"DRIVER\tVOLUME NAME"};
        for (const auto& v : store.list()) {
          if (!matches(v, *filters, users.count(v.name) > 0)) continue;
          if (*quiet)
            fmt::print("{}\n", v.name);
          else if (*format == "json")
            rows.push_back(to_json(v));
          else
            lines.push_back(v.driver + "\t" + v.name);
        }
        if (*format == "table" && !*quiet) fmt::print("{}", align_columns(lines, 10));
        if (*format == "json" && !*quiet) fmt::print("{}\n", rows.dump(2));
        return 0;
      };
    });
  }
  {
    auto* cmd = volume->add_subcommand("inspect", "Show volumes as JSON");
    auto names = std::make_shared<std::vector<std::string>>();
    cmd->add_option("names", *names, "Volumes")->required();
    cmd->callback([&ctx, names] {
      ctx.action = [&ctx, names] {
        VolumeStore store(ctx.global.state());
        json out = json::array();
        for (const auto& n : *names) out.push_back(to_json(store.get(n)));
        fmt::print("{}\n", out.dump(2));
        return 0;
      };
    });
  }
  {
    auto* cmd = volume->add_subcommand("rm", "Remove volumes")->alias("remove");
    auto names = std::make_shared<std::vector<std::string>>();
    auto force = std::make_shared<bool>(false);
    cmd->add_option("names", *names, "Volumes")->required();
    cmd->add_flag("-f,--force", *force, "Do not fail on volumes that do not exist");
    cmd->callback([&ctx, names, force] {
      ctx.action = [&ctx, names, force] {
        VolumeStore store(ctx.global.state());
        auto users = volume_users(ctx.global.state(), store);
        // All are checked first, so a refused name leaves the others in place too.
        for (const auto& n : *names) {
          if (!store.find(n)) {
            if (*force) continue;
            throw UserError("no such volume: " + n);
          }
          check_unused(users, n);
        }
        for (const auto& n : *names)
          if (store.find(n)) {
            store.remove(n);
            fmt::print("{}\n", n);
          }
        return 0;
      };
    });
  }
  {
    auto* cmd = volume->add_subcommand("prune", "Remove unused volumes (anonymous ones unless --all)");
    auto all = std::make_shared<bool>(false);
    auto yes = std::make_shared<bool>(false);
    auto filters = std::make_shared<std::vector<std::string>>();
    cmd->add_flag("-a,--all", *all, "Remove unused named volumes too");
    cmd->add_flag("-f,--force", *yes, "Do not prompt (berth never prompts)");
    cmd->add_option("--filter", *filters, "label=KEY[=VALUE], name=SUBSTR");
    cmd->callback([&ctx, all, filters] {
      ctx.action = [&ctx, all, filters] {
        VolumeStore store(ctx.global.state());
        auto users = volume_users(ctx.global.state(), store);
        fmt::print("Deleted Volumes:\n");
        for (const auto& v : store.list()) {
          if (users.count(v.name) || (!*all && !v.anonymous()) || !matches(v, *filters, false)) continue;
          store.remove(v.name);
          fmt::print("{}\n", v.name);
        }
        return 0;
      };
    });
  }
});

}  // namespace
}  // namespace berth::cli
