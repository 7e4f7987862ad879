// A COPY/ADD step: its source root (the context, a stage or image, downloads, heredocs), the
// request after WORKDIR, --chown and --chmod, the plan; then, on a cache miss, the layer.
#include <fcntl.h>

#include <algorithm>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "builder/copy_job.hpp"
#include "builder/stage_builder.hpp"
#include "builder/url_fetch.hpp"
#include "engine/image/layer_from_upper.hpp"
#include "engine/registry/registry.hpp"
#include "engine/runtime/user_lookup.hpp"

namespace berth::builder {
namespace {

bool all_digits(const std::string& s) { return !s.empty() && std::all_of(s.begin(), s.end(), ::isdigit); }

}  // namespace

std::unique_ptr<CopyJob> StageBuilder::prepare_copy(const Instruction& in, BuildProgress::Step& p) {
  auto job = std::make_unique<CopyJob>();
  CopyJob& j = *job;
  const auto& k = in.keyword;
  std::vector<std::string> args = in.args;  // URL sources become the names of their downloads
  j.base_layers = layers();
  j.image_stat = [&j](const std::string& path) { return stat_in_layers(j.base_layers, path); };
  std::string from = in.flag("from");
  auto is_url = [](const std::string& a) { return a.starts_with("http://") || a.starts_with("https://"); };
  bool urls = k == "add" && std::any_of(args.begin(), args.end() - 1, is_url);
  if (urls) {
    // Remote sources are downloaded into a directory of their own, the step's source root;
    // their digest then keys the cache like any copied file's.
    if (!std::all_of(args.begin(), args.end() - 1, is_url))
      throw UserError("ADD cannot mix URLs and local sources in one instruction");
    j.temp = std::make_unique<TempDir>(sh_.scratch, "url-");
    for (auto& a : args)
      if (&a != &args.back()) {
        std::string name = url_file_name(a);
        if (name.empty()) throw UserError("cannot tell a file name from " + a + " (name the destination file)");
        p.output("fetching " + a + "\n");
        fetch_url(a, j.temp->path / name);
        a = name;
      }
    j.source_fd.reset(::open(j.temp->path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    j.src = SourceRoot{j.source_fd.get(), nullptr, false, "download"};
  } else if (!in.heredocs.empty()) {
    j.temp = std::make_unique<TempDir>(sh_.scratch, "heredoc-");
    for (const auto& h : in.heredocs) write_file_atomic(j.temp->path / h.name, h.content, 0644, Sync::No);
    j.source_fd.reset(::open(j.temp->path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    j.src = SourceRoot{j.source_fd.get(), nullptr, false, "heredoc"};
  } else if (!from.empty()) {
    std::optional<engine::Image> im;
    std::string what;
    std::optional<int> stage = earlier_stage(from);
    if (stage) {
      im = sh_.stage_image(*stage);
      what = "stage " + from;
    } else {
      im = store_.find(from);
      if (!im) {
        engine::PullOptions po;
        po.registry.state_root = sh_.paths.root;
        im = engine::pull_image(store_, from, po).image;
      }
      what = "image " + from;
    }
    j.from_root = std::make_unique<MountedRootfs>(im ? store_.layer_dirs(*im) : std::vector<std::filesystem::path>{}, sh_.scratch);
    j.source_fd.reset(::open(j.from_root->path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    j.src = SourceRoot{j.source_fd.get(), nullptr, true, what};
  } else {
    j.src = SourceRoot{sh_.context_fd, &sh_.ignore, false, "build context"};
  }
  if (!j.source_fd && j.src.fd != sh_.context_fd) throw_errno("open", j.src.what);

  j.req.sources.assign(args.begin(), args.end() - 1);
  for (auto& s : j.req.sources)
    if (s.starts_with("<<")) {
      s.erase(0, 2);
      if (!s.empty() && s[0] == '-') s.erase(0, 1);
      std::erase_if(s, [](char c) { return c == '"' || c == '\''; });
    }
  std::string dest = args.back();
  // "dir/", "." and "dir/." name a directory whether or not it exists (Docker's rule).
  bool dest_dir = dest.ends_with("/") || dest == "." || dest.ends_with("/.");
  j.req.dest = resolve_in_layers(j.base_layers, join_workdir(cfg_.working_dir, dest), dest_dir) + (dest_dir ? "/" : "");
  j.req.extract_archives = k == "add" && !urls;  // a download is not unpacked (Docker's rule)
  if (auto chown = in.flag("chown"); !chown.empty()) {
    auto colon = chown.find(':');
    std::string u = chown.substr(0, colon), g = colon == std::string::npos ? "" : chown.substr(colon + 1);
    if (all_digits(u) && (g.empty() || all_digits(g))) {
      j.req.uid = static_cast<uid_t>(std::stoul(u));
      j.req.gid = static_cast<gid_t>(g.empty() ? *j.req.uid : std::stoul(g));
    } else {
      auto eu = engine::resolve_user(chown, read_in_layers(j.base_layers, "etc/passwd"), read_in_layers(j.base_layers, "etc/group"));
      j.req.uid = eu.uid;
      j.req.gid = eu.gid;
    }
  }
  if (auto chmod = in.flag("chmod"); !chmod.empty()) {
    std::size_t used = 0;
    unsigned long m = 0;
    try {
      m = std::stoul(chmod, &used, 8);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != chmod.size() || m > 07777) throw UserError("invalid --chmod \"" + chmod + "\" (an octal mode, 0644)");
    j.req.chmod = static_cast<mode_t>(m);
  }
  j.items = plan_copy(j.src, j.req, j.image_stat);
  return job;
}

std::optional<engine::LayerBlob> StageBuilder::write_copy_layer(CopyJob& j) {
  TempDir out(sh_.scratch, "copy-");
  write_copy(j.src, j.items, j.req, out.path, j.image_stat);
  return engine::store_layer_from_upper(store_, out.path);
}

}  // namespace berth::builder
