// `berth image ...`: the image store from the command line (`berth images` is compose's, per project).
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "cli/command.hpp"
#include "base/human_size.hpp"
#include "builder/build_cache.hpp"
#include "engine/image/image_store.hpp"

namespace berth::cli {
namespace {

using engine::ImageStore;
using nlohmann::json;

// "-" or empty means stdin/stdout.
UniqueFd open_in(const std::string& file) {
  if (file.empty() || file == "-") return UniqueFd(::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0));
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", file);
  return fd;
}

// `images [REPOSITORY[:TAG]]`: a repository matches all its tags, a tag just itself.
bool ref_matches(const std::string& ref, const std::string& filter) {
  if (filter.empty()) return true;
  auto want = engine::parse_reference(filter);
  bool tagged = filter.find(':', filter.rfind('/') == std::string::npos ? 0 : filter.rfind('/')) != std::string::npos;
  auto have = engine::parse_reference(ref);
  return have.name() == want.name() && (!tagged || have.tag == want.tag);
}

bool matches(const engine::Image& im, const std::string& filter) {
  if (filter.empty()) return true;
  for (auto& r : im.refs)
    if (ref_matches(r, filter)) return true;
  return false;
}

int list_images(Context& ctx, const std::string& format, bool quiet, const std::string& filter, bool all) {
  ImageStore store(ctx.global.state());
  auto rows = store.usage();
  std::erase_if(rows, [&](const engine::ImageUsage& u) { return !matches(u.image, filter); });
  builder::BuildCache cache(ctx.global.state());
  if (!all)
    std::erase_if(rows, [&](const engine::ImageUsage& u) { return u.image.refs.empty() && cache.intermediate(u.image.id); });
  if (format == "json") {
    json out = json::array();
    for (auto& u : rows) {
      std::vector<std::string> familiar;
      for (auto& r : u.image.refs) familiar.push_back(engine::parse_reference(r).familiar());
      out.push_back({{"Id", u.image.id}, {"RepoTags", familiar}, {"Created", u.image.created}, {"Size", u.image.size},
                     {"SharedSize", u.shared}, {"UniqueSize", u.unique}, {"Containers", u.containers},
                     {"Layers", u.image.diff_ids.size()}});
    }
    fmt::print("{}\n", out.dump(2));
    return 0;
  }
  if (quiet) {
    for (auto& u : rows) fmt::print("{}\n", u.image.short_id());
    return 0;
  }
  fmt::print("{:<40} {:<16} {:<14} {:<22} {:>9} {:>9} {:>9}\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE",
             "SHARED", "UNIQUE");
  for (auto& u : rows) {
    auto line = [&](const std::string& repo, const std::string& tag) {
      fmt::print("{:<40} {:<16} {:<14} {:<22} {:>9} {:>9} {:>9}\n", repo, tag, u.image.short_id(), u.image.created,
                 human_size(u.image.size), human_size(u.shared), human_size(u.unique));
    };
    if (u.image.refs.empty()) line("<none>", "<none>");
    for (auto& r : u.image.refs) {
      if (!ref_matches(r, filter)) continue;
      auto ref = engine::parse_reference(r);
      std::string fam = ref.familiar();
      line(fam.substr(0, fam.size() - ref.tag.size() - 1), ref.tag);
    }
  }
  return 0;
}

void add_ls(CLI::App* cmd, Context& ctx) {
  auto format = std::make_shared<std::string>("table");
  auto quiet = std::make_shared<bool>(false);
  auto filter = std::make_shared<std::string>();
  auto all = std::make_shared<bool>(false);
  cmd->add_flag("-a,--all", *all, "Show all images (default hides the intermediate images of builds)");
  cmd->add_option("repository", *filter, "Only images of REPOSITORY[:TAG]");
  cmd->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_flag("-q,--quiet", *quiet, "Only show image ids");
  cmd->callback([&ctx, format, quiet, filter, all] {
    ctx.action = [&ctx, format, quiet, filter, all] { return list_images(ctx, *format, *quiet, *filter, *all); };
  });
}

const CommandRegistration reg(300, {"image"}, [](CLI::App& app, Context& ctx) {
  auto* image = command_group(app, "image", "Manage images");
  image->require_subcommand(1);

  add_ls(image->add_subcommand("ls", "List images")->alias("list"), ctx);

  {
    auto* cmd = image->add_subcommand("load", "Load images from a docker-save or OCI archive");
    auto input = std::make_shared<std::string>();
    auto quiet = std::make_shared<bool>(false);
    cmd->add_option("-i,--input", *input, "Archive to read (default: stdin)")->type_name("FILE");
    cmd->add_flag("-q,--quiet", *quiet, "Print nothing");
    cmd->callback([&ctx, input, quiet] {
      ctx.action = [&ctx, input, quiet] {
        ImageStore store(ctx.global.state());
        auto fd = open_in(*input);
        auto res = with_context("loading " + (input->empty() ? std::string("stdin") : *input), [&] { return store.load(fd.get()); });
        if (!*quiet) {
          for (auto& r : res.refs) fmt::print("Loaded image: {}\n", r);
          if (res.refs.empty())
            for (auto& id : res.image_ids) fmt::print("Loaded image ID: {}\n", id);
        }
        return 0;
      };
    });
  }
  {
    auto* cmd = image->add_subcommand("import", "Create an image from a rootfs tarball");
    auto file = std::make_shared<std::string>();
    auto name = std::make_shared<std::string>();
    auto changes = std::make_shared<std::vector<std::string>>();
    auto message = std::make_shared<std::string>();
    cmd->add_option("file", *file, "Tarball (plain, gzip or zstd), or - for stdin")->required();
    cmd->add_option("name", *name, "NAME[:TAG] of the new image")->required();
    cmd->add_option("-c,--change", *changes, "Apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, ...)")
        ->allow_extra_args(false);
    cmd->add_option("-m,--message", *message, "Commit message");
    cmd->callback([&ctx, file, name, changes, message] {
      ctx.action = [&ctx, file, name, changes, message] {
        ImageStore store(ctx.global.state());
        auto fd = open_in(*file);
        engine::ImportOptions opts{*changes, *message};
        auto im = with_context("importing " + *file, [&] { return store.import_rootfs(fd.get(), *name, opts); });
        fmt::print("{}\n", im.id);
        return 0;
      };
    });
  }
  {
    auto* cmd = image->add_subcommand("save", "Save images to a docker-save compatible archive");
    auto output = std::make_shared<std::string>();
    auto names = std::make_shared<std::vector<std::string>>();
    cmd->add_option("-o,--output", *output, "Archive to write (default: stdout)")->type_name("FILE");
    cmd->add_option("images", *names, "Images to save")->required();
    cmd->callback([&ctx, output, names] {
      ctx.action = [&ctx, output, names] {
        ImageStore store(ctx.global.state());
        if (output->empty() || *output == "-") {
          if (::isatty(STDOUT_FILENO)) throw UserError("image save: refusing to write an archive to a terminal; use -o FILE");
          store.save(*names, STDOUT_FILENO);
          return 0;
        }
        std::string tmp = *output + ".tmp." + std::to_string(::getpid());
        UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!fd) throw_errno("open", tmp);
        try {
          store.save(*names, fd.get());
          if (::fsync(fd.get()) != 0) throw_errno("fsync", tmp);
          if (::rename(tmp.c_str(), output->c_str()) != 0) throw_errno("rename", tmp + " to " + *output);
        } catch (...) {
          ::unlink(tmp.c_str());
          throw;
        }
        return 0;
      };
    });
  }
  {
    auto* cmd = image->add_subcommand("inspect", "Show image details as JSON");
    auto names = std::make_shared<std::vector<std::string>>();
    cmd->add_option("images", *names, "Images")->required();
    cmd->callback([&ctx, names] {
      ctx.action = [&ctx, names] {
        ImageStore store(ctx.global.state());
        json out = json::array();
        for (auto& n : *names) {
          auto im = store.get(n);
          json cfg = json::parse(store.config_json(im));
          std::vector<std::string> familiar;
          for (auto& r : im.refs) familiar.push_back(engine::parse_reference(r).familiar());
          out.push_back({{"Id", im.id}, {"RepoTags", familiar}, {"RepoDigests", json::array()},
                         {"Created", im.created}, {"Size", im.size}, {"Architecture", cfg.value("architecture", "")},
                         {"Os", cfg.value("os", "")}, {"Author", cfg.value("author", "")}, {"Config", cfg.value("config", json::object())},
                         {"RootFS", {{"Type", "layers"}, {"Layers", im.diff_ids}}},
                         {"Manifest", {{"Digest", im.manifest_digest}, {"MediaType", im.manifest_media_type}, {"Layers", im.layer_digests}}},
                         {"GraphDriver", {{"Name", "overlay"}, {"LayerDirs", [&] {
                            std::vector<std::string> dirs;
                            for (auto& c : im.chain_ids) dirs.push_back((store.dir() / "layers" / c.substr(7) / "diff").string());
                            return dirs; }()}}}});
        }
        fmt::print("{}\n", out.dump(2));
        return 0;
      };
    });
  }
  {
    auto* cmd = image->add_subcommand("rm", "Remove images")->alias("remove");
    auto names = std::make_shared<std::vector<std::string>>();
    auto force = std::make_shared<bool>(false);
    cmd->add_option("images", *names, "Images")->required();
    cmd->add_flag("-f,--force", *force, "Remove even if used by containers or tagged several times");
    cmd->callback([&ctx, names, force] {
      ctx.action = [&ctx, names, force] {
        ImageStore store(ctx.global.state());
        for (auto& n : *names)
          for (auto& line : store.remove(n, *force)) fmt::print("{}\n", line);
        return 0;
      };
    });
  }
  {
    auto* cmd = image->add_subcommand("prune", "Remove unused images");
    auto all = std::make_shared<bool>(false);
    auto yes = std::make_shared<bool>(false);
    cmd->add_flag("-a,--all", *all, "Remove all images not used by a container, not only untagged ones");
    cmd->add_flag("-f,--force", *yes, "Do not prompt (berth never prompts)");
    cmd->callback([&ctx, all] {
      ctx.action = [&ctx, all] {
        ImageStore store(ctx.global.state());
        auto [ids, freed] = store.prune(*all);
        for (auto& id : ids) fmt::print("Deleted: {}\n", id);
        fmt::print("Total reclaimed space: {}\n", human_size(freed));
        return 0;
      };
    });
  }
  {
    auto* cmd = image->add_subcommand("tag", "Give an image another name");
    auto src = std::make_shared<std::string>();
    auto dst = std::make_shared<std::string>();
    cmd->add_option("source", *src, "SOURCE image")->required();
    cmd->add_option("target", *dst, "TARGET[:TAG]")->required();
    cmd->callback([&ctx, src, dst] {
      ctx.action = [&ctx, src, dst] {
        ImageStore store(ctx.global.state());
        store.tag(*src, *dst);
        return 0;
      };
    });
  }
});

}  // namespace
}  // namespace berth::cli
