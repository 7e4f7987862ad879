// `berth image pull|push`, `berth login|logout`: the registry client from the command line.
#include <fmt/core.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>

#include "base/error.hpp"
#include "cli/command.hpp"
#include "engine/image/image_store.hpp"
#include "engine/registry/progress_display.hpp"
#include "engine/registry/registry.hpp"

namespace berth::cli {
namespace {

// Options every registry command takes.
struct RegistryFlags {
  std::vector<std::string> insecure;
  std::vector<std::string> ca_files;

  void add_to(CLI::App* cmd) {
    cmd->add_option("--insecure-registry", insecure,
                    "Registry (host:port) reachable over plain HTTP or with an unverified certificate")
        ->type_name("HOST");
    cmd->add_option("--registry-ca", ca_files, "Extra CA certificate (PEM) to trust for registries")->type_name("FILE");
  }

  engine::RegistryOptions options(const Context& ctx) const {
    engine::RegistryOptions o;
    o.state_root = ctx.global.state().root;
    o.insecure_registries = insecure;
    for (auto& f : ca_files) o.ca_files.emplace_back(f);
    if (const char* env = std::getenv("BERTH_REGISTRY_CA"); env && *env) o.ca_files.emplace_back(env);
    return o;
  }
};

engine::ProgressDisplay::Mode display_mode(const Context& ctx, bool quiet) {
  if (quiet) return engine::ProgressDisplay::Mode::Quiet;
  return engine::ProgressDisplay::choose(ctx.global.progress, ctx.global.no_ansi, stdout);
}

std::string read_password_from_terminal() {
  fmt::print(stderr, "Password: ");
  termios old {};
  bool tty = ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string pw;
  std::getline(std::cin, pw);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fmt::print(stderr, "\n");
  }
  return pw;
}

void register_image_commands(CLI::App* image, Context& ctx) {
  {
    auto* cmd = image->add_subcommand("pull", "Download an image from a registry");
    auto name = std::make_shared<std::string>();
    auto platform = std::make_shared<std::string>();
    auto quiet = std::make_shared<bool>(false);
    auto parallel = std::make_shared<int>(3);
    auto flags = std::make_shared<RegistryFlags>();
    cmd->add_option("name", *name, "NAME[:TAG|@DIGEST]")->required();
    cmd->add_option("--platform", *platform, "Platform os/arch[/variant] to choose from a manifest list");
    cmd->add_flag("-q,--quiet", *quiet, "Print only the image reference");
    cmd->add_option("--max-concurrent-downloads", *parallel, "Layers downloaded at once")->check(CLI::Range(1, 16));
    flags->add_to(cmd);
    cmd->callback([&ctx, name, platform, quiet, parallel, flags] {
      ctx.action = [&ctx, name, platform, quiet, parallel, flags] {
        engine::ImageStore store(ctx.global.state());
        engine::PullOptions opts;
        opts.registry = flags->options(ctx);
        opts.platform = *platform;
        opts.max_concurrent = *parallel;
        engine::ProgressDisplay display(display_mode(ctx, *quiet), stdout);
        opts.progress = display.callback();
        engine::pull_image(store, *name, opts);
        display.finish();
        if (*quiet) fmt::print("{}\n", engine::parse_reference(*name).str());
        return 0;
      };
    });
  }
  {
    auto* cmd = image->add_subcommand("push", "Upload an image to a registry");
    auto name = std::make_shared<std::string>();
    auto quiet = std::make_shared<bool>(false);
    auto parallel = std::make_shared<int>(3);
    auto chunk = std::make_shared<std::uint64_t>(16u << 20);
    auto flags = std::make_shared<RegistryFlags>();
    cmd->add_option("name", *name, "NAME[:TAG] of a local image")->required();
    cmd->add_flag("-q,--quiet", *quiet, "Print nothing but errors");
    cmd->add_option("--max-concurrent-uploads", *parallel, "Blobs uploaded at once")->check(CLI::Range(1, 16));
    cmd->add_option("--chunk-size", *chunk, "Upload blobs larger than this in chunks of this many bytes (0: one request)");
    flags->add_to(cmd);
    cmd->callback([&ctx, name, quiet, parallel, chunk, flags] {
      ctx.action = [&ctx, name, quiet, parallel, chunk, flags] {
        engine::ImageStore store(ctx.global.state());
        engine::PushOptions opts;
        opts.registry = flags->options(ctx);
        opts.max_concurrent = *parallel;
        opts.chunk_size = *chunk;
        engine::ProgressDisplay display(display_mode(ctx, *quiet), stdout);
        opts.progress = display.callback();
        engine::push_image(store, *name, opts);
        display.finish();
        return 0;
      };
    });
  }
}

const CommandRegistration reg(310, {"image", "login", "logout"}, [](CLI::App& app, Context& ctx) {
  CLI::App* image = command_group(app, "image", "Manage images");
  register_image_commands(image, ctx);

  {
    auto* cmd = app.add_subcommand("login", "Log in to a registry (credentials go to the Docker config file)");
    auto server = std::make_shared<std::string>();
    auto user = std::make_shared<std::string>();
    auto password = std::make_shared<std::string>();
    auto password_stdin = std::make_shared<bool>(false);
    auto flags = std::make_shared<RegistryFlags>();
    cmd->add_option("server", *server, "Registry (default docker.io)");
    cmd->add_option("-u,--username", *user, "User name");
    cmd->add_option("-p,--password", *password, "Password (prefer --password-stdin)");
    cmd->add_flag("--password-stdin", *password_stdin, "Read the password from stdin");
    flags->add_to(cmd);
    cmd->callback([&ctx, server, user, password, password_stdin, flags] {
      ctx.action = [&ctx, server, user, password, password_stdin, flags] {
        engine::Credentials creds{*user, *password};
        if (*password_stdin) {
          if (!password->empty()) throw UserError("--password and --password-stdin are mutually exclusive");
          std::string all((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
          while (!all.empty() && (all.back() == '\n' || all.back() == '\r')) all.pop_back();
          creds.password = all;
        }
        if (creds.username.empty()) {
          if (!::isatty(STDIN_FILENO)) throw UserError("login: a user name is required (-u)");
          fmt::print(stderr, "Username: ");
          std::getline(std::cin, creds.username);
        }
        if (creds.password.empty() && !*password_stdin) {
          if (!::isatty(STDIN_FILENO)) throw UserError("login: a password is required (-p or --password-stdin)");
          creds.password = read_password_from_terminal();
        }
        if (creds.password.empty()) throw UserError("login: the password is empty");
        auto path = engine::login(flags->options(ctx), *server, creds);
        fmt::print("Login Succeeded (credentials stored in {})\n", path.string());
        return 0;
      };
    });
  }
  {
    auto* cmd = app.add_subcommand("logout", "Remove the stored credentials of a registry");
    auto server = std::make_shared<std::string>();
    cmd->add_option("server", *server, "Registry (default docker.io)");
    cmd->callback([&ctx, server] {
      ctx.action = [&ctx, server] {
        engine::RegistryOptions o;
        o.state_root = ctx.global.state().root;
        std::string name = engine::normalize_registry_name(*server);
        if (engine::logout(o, *server))
          fmt::print("Removing login credentials for {}\n", name);
        else
          fmt::print("Not logged in to {}\n", name);
        return 0;
      };
    });
  }
});

}  // namespace
}  // namespace berth::cli
