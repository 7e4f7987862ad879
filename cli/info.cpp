// `berth info`: kernel, cgroup version and mode, delegated controllers, overlayfs mount API,
// nftables, seccomp, user namespaces; what berth found and will use, for a bug report.
#include "cli/info.hpp"

#include <fmt/core.h>

#include "cli/command.hpp"
#include "engine/runtime/host_info.hpp"
#include "network/nft.hpp"

namespace berth::cli {
namespace {

std::string join(const nlohmann::json& list) {
  std::string out;
  for (const auto& s : list) out += (out.empty() ? "" : " ") + s.get<std::string>();
  return out.empty() ? "none" : out;
}

std::string yes(const nlohmann::json& j, const char* key) { return j.value(key, false) ? "yes" : "no"; }

const CommandRegistration reg(905, {"info"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("info", "Show what berth found on this host (kernel, cgroups, overlayfs, ...)");
  auto format = std::make_shared<std::string>("pretty");
  cmd->add_option("-f,--format", *format, "pretty or json")->check(CLI::IsMember({"pretty", "json"}));
  cmd->callback([&ctx, format] {
    ctx.action = [format] {
      auto info = host_info();
      if (*format == "json")
        fmt::print("{}\n", info.dump(2));
      else
        print_host_info(info);
      return 0;
    };
  });
});

}  // namespace

nlohmann::json host_info() {
  nlohmann::json j = engine::probe_host();
  j["berth"] = {{"version", BERTH_VERSION}};
  nlohmann::json nft;
  try {
    network::nft_list("list tables");  // read-only: the kernel answers or says why not
    nft["available"] = true;
  } catch (const std::exception& e) {
    nft["available"] = false;
    nft["error"] = e.what();
  }
  j["nftables"] = nft;
  return j;
}

void print_host_info(const nlohmann::json& j) {
  const auto& k = j["kernel"];
  fmt::print("berth:            {}\n", j["berth"].value("version", ""));
  fmt::print("kernel:           {} {} ({})\n", k.value("release", ""), k.value("machine", ""), k.value("version", ""));
  const auto& c = j["cgroup"];
  fmt::print("cgroup:           {}\n", c.value("mode", ""));
  if (c.contains("v2_mount")) {
    fmt::print("  v2 mount:       {} ({})\n", c.value("v2_mount", ""), join(c["v2_options"]));
    fmt::print("  controllers:    {} (enabled for children: {})\n", join(c["controllers"]), join(c["subtree_control"]));
    fmt::print("  nsdelegate:     {}; in a cgroup namespace (nested): {}; cgroup.kill: {}\n", yes(c, "nsdelegate"),
               yes(c, "nested"), yes(c, "cgroup_kill"));
  }
  if (c.contains("v1_controllers")) fmt::print("  v1 controllers: {}\n", join(c["v1_controllers"]));
  if (c.contains("containers")) fmt::print("  containers in:  {}\n", c.value("containers", ""));
  fmt::print("  supervisors in: {} (berth-monitor, berth-dns)\n", join(c["supervisors"]));
  const auto& o = j["overlayfs"];
  if (o.value("available", false))
    fmt::print("overlayfs:        yes, {}\n", o.value("new_mount_api", ""));
  else
    fmt::print("overlayfs:        no ({})\n", o.value("error", ""));
  const auto& n = j["nftables"];
  fmt::print("nftables:         {}\n", n.value("available", false) ? "yes" : "no (" + n.value("error", std::string()) + ")");
  const auto& s = j["seccomp"];
  fmt::print("seccomp:          {} (actions: {}); berth uses {}\n", yes(s, "available"), join(s["actions"]), s.value("uses", ""));
  const auto& u = j["user_namespaces"];
  fmt::print("user namespaces:  {}; berth uses them: {}\n", yes(u, "available"), u.value("uses", ""));
}

}  // namespace berth::cli
