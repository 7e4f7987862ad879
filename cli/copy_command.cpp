#include "cli/copy_command.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "engine/runtime/container_copy.hpp"
#include "engine/runtime/container_fs.hpp"

namespace berth::cli {
namespace {

struct Arg {
  std::optional<std::string> container;  // set for CONTAINER:PATH
  std::string path;
};

// Docker's split: "name:path" names a container unless the text before ':' has a '/' (a local
// path like "./a:b" or "/x:y"); "-" is a tar stream.
Arg parse_arg(const std::string& a) {
  auto colon = a.find(':');
  if (colon == std::string::npos || colon == 0 || a.substr(0, colon).find('/') != std::string::npos) return {std::nullopt, a};
  std::string path = a.substr(colon + 1);
  if (path.empty()) path = "/";
  if (path[0] != '/') path = "/" + path;  // docker: relative to the container's root
  return {a.substr(0, colon), path};
}

std::string host_path(const std::string& p) {
  return std::filesystem::absolute(p).lexically_normal().string() + (p.size() > 1 && p.back() == '/' ? "/" : "");
}

}  // namespace

int run_copy(const CopyFlags& f, const std::function<engine::ContainerInfo(const std::string&)>& find) {
  Arg src = parse_arg(f.src), dest = parse_arg(f.dest);
  if (src.container.has_value() == dest.container.has_value())
    throw UserError(src.container ? "cp: copying between containers is not supported"
                                  : "cp: one of SRC and DEST must be CONTAINER:PATH");
  const Arg& in = src.container ? src : dest;
  engine::ContainerInfo c = find(*in.container);
  UniqueFd croot = engine::open_container_root(c);
  engine::CopyEnd cend{croot.get(), in.path, "container " + c.name};
  engine::CopyOptions opts;
  opts.archive = f.archive;
  opts.follow_link = f.follow_link;
  if (src.container) {
    opts.uid = ::getuid();
    opts.gid = ::getgid();
    if (dest.path == "-") {
      if (::isatty(STDOUT_FILENO)) throw UserError("cp: refusing to write a tar to a terminal; redirect the output");
      engine::copy_to_tar(cend, opts, STDOUT_FILENO);
      return 0;
    }
  } else if (src.path == "-") {
    engine::copy_from_tar(STDIN_FILENO, cend);
    return 0;
  }
  UniqueFd host(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!host) throw_errno("open", "/");
  const Arg& local = src.container ? dest : src;
  engine::CopyEnd hend{host.get(), host_path(local.path), "host"};
  if (src.container)
    engine::copy_path(cend, hend, opts);
  else
    engine::copy_path(hend, cend, opts);
  return 0;
}

}  // namespace berth::cli
