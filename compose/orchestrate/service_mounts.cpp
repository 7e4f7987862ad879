#include "compose/orchestrate/service_mounts.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "compose/orchestrate/labels.hpp"

namespace berth::compose::orchestrate {

namespace {

std::int64_t parse_size(const std::string& text, const std::string& what) {
  if (text.empty()) throw UserError("invalid tmpfs size in \"" + what + "\"");
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  std::string unit(end);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  double mult = 1;
  if (unit == "k") mult = 1024;
  else if (unit == "m") mult = 1024.0 * 1024;
  else if (unit == "g") mult = 1024.0 * 1024 * 1024;
  else if (!unit.empty()) throw UserError("invalid tmpfs size \"" + text + "\" in \"" + what + "\"");
  return static_cast<std::int64_t>(v * mult);
}

}  // namespace

volumes::MountRequest parse_tmpfs(const std::string& spec) {
  volumes::MountRequest r;
  r.kind = volumes::MountRequest::Kind::Tmpfs;
  auto colon = spec.find(':');
  r.target = spec.substr(0, colon);
  if (colon == std::string::npos) return r;
  std::string opts = spec.substr(colon + 1);
  std::size_t pos = 0;
  while (pos <= opts.size()) {
    auto comma = opts.find(',', pos);
    std::string o = opts.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? opts.size() + 1 : comma + 1;
    if (o.empty()) continue;
    if (o.rfind("size=", 0) == 0) {
      r.tmpfs_size = parse_size(o.substr(5), spec);
    } else if (o.rfind("mode=", 0) == 0) {
      r.tmpfs_mode = static_cast<std::uint32_t>(std::strtoul(o.c_str() + 5, nullptr, 8));
    } else if (o == "ro") {
      r.read_only = true;
    } else if (o != "rw" && o != "noexec" && o != "nosuid" && o != "nodev" && o != "exec" && o != "suid" &&
               o != "dev") {
      throw UserError("unsupported tmpfs option \"" + o + "\" in \"" + spec + "\"");
    }
  }
  return r;
}

std::vector<volumes::MountRequest> mount_requests(const Project& project, const Service& s) {
  using Kind = volumes::MountRequest::Kind;
  std::vector<volumes::MountRequest> out;
  for (auto& v : s.volumes) {
    volumes::MountRequest r;
    r.target = v.target;
    r.read_only = v.read_only;
    switch (v.type) {
      case VolumeType::Bind:
        r.kind = Kind::Bind;
        r.source = v.source;
        r.create_host_path = v.bind.create_host_path;
        r.propagation = v.bind.propagation;
        break;
      case VolumeType::Volume:
        r.nocopy = v.volume.nocopy;
        r.subpath = v.volume.subpath;
        if (v.source.empty()) {
          r.kind = Kind::Anonymous;
          break;
        }
        r.kind = Kind::Named;
        if (auto it = project.volumes.find(v.source); it != project.volumes.end()) {
          const Volume& decl = it->second;
          r.source = decl.name.empty() ? project.name + "_" + decl.key : decl.name;
          r.driver = decl.driver.empty() ? "local" : decl.driver;
          r.driver_opts = decl.driver_opts;
          r.labels = decl.labels;
          if (!decl.external) {
            r.labels[kProjectLabel] = project.name;
            r.labels[kVolumeLabel] = decl.key;
            r.labels[kVersionLabel] = kVersion;
          }
        } else {
          throw UserError("service \"" + s.name + "\" refers to undefined volume " + v.source);
        }
        break;
      case VolumeType::Tmpfs:
        r.kind = Kind::Tmpfs;
        r.tmpfs_size = v.tmpfs.size;
        r.tmpfs_mode = v.tmpfs.mode;
        break;
      default:
        throw UserError("service \"" + s.name + "\": volume type of " + v.target + " is not supported");
    }
    out.push_back(std::move(r));
  }
  for (auto& t : s.tmpfs) out.push_back(parse_tmpfs(t));
  return out;
}

namespace {

void add_file_mounts(const std::map<std::string, FileObject>& declared, const std::vector<FileReference>& refs,
                     const Project& project, const Service& s, bool secret, std::vector<FileMount>& out) {
  const char* kind = secret ? "secret" : "config";
  for (auto& ref : refs) {
    auto it = declared.find(ref.source);
    if (it == declared.end())
      throw UserError("service \"" + s.name + "\" refers to undefined " + kind + " " + ref.source);
    const FileObject& obj = it->second;
    if (obj.external)
      throw UserError(std::string(kind) + " " + ref.source + ": external " + kind + "s are not supported");
    FileMount m;
    m.key = ref.source;
    std::string target = ref.target.empty() ? ref.source : ref.target;
    if (target[0] != '/') target = (secret ? "/run/secrets/" : "/") + target;
    m.target = target;
    m.mode = ref.mode;
    m.uid = ref.uid;
    m.gid = ref.gid;
    if (!obj.file.empty()) {
      m.host_file = obj.file;
    } else if (obj.content) {
      m.content = obj.content;
    } else if (!obj.environment.empty()) {
      auto env = project.environment.find(obj.environment);
      const char* proc = std::getenv(obj.environment.c_str());
      if (env != project.environment.end())
        m.content = env->second;
      else if (proc)
        m.content = proc;
      else
        throw UserError(std::string(kind) + " " + ref.source + ": environment variable " + obj.environment +
                        " is not set");
    } else {
      throw UserError(std::string(kind) + " " + ref.source + " has no file, environment or content");
    }
    out.push_back(std::move(m));
  }
}

}  // namespace

std::vector<FileMount> file_mounts(const Project& project, const Service& s) {
  std::vector<FileMount> out;
  add_file_mounts(project.secrets, s.secrets, project, s, true, out);
  add_file_mounts(project.configs, s.configs, project, s, false, out);
  return out;
}

std::string owned_file_copy(const std::filesystem::path& dir, const std::string& service, const FileMount& f,
                            const std::string& source) {
  auto id = [&](const std::string& text, const char* what) -> unsigned {
    if (text.empty()) return 0;
    char* end = nullptr;
    unsigned long v = std::strtoul(text.c_str(), &end, 10);
    if (*end || end == text.c_str() || v > 0xfffffffeUL)
      throw UserError("service \"" + service + "\": " + f.key + ": " + what + " \"" + text + "\" is not a number");
    return static_cast<unsigned>(v);
  };
  unsigned uid = id(f.uid, "uid"), gid = id(f.gid, "gid");
  std::string name = service + "-" + f.target;
  for (auto& c : name)
    if (c == '/') c = '_';
  std::filesystem::create_directories(dir);
  std::string copy = (dir / name).string();
  write_file_atomic(copy, read_file(source));
  if (::chown(copy.c_str(), uid, gid) != 0) throw_errno("chown", copy);
  if (::chmod(copy.c_str(), f.mode.value_or(0444)) != 0) throw_errno("chmod", copy);
  return copy;
}

std::filesystem::path project_files_dir(const std::filesystem::path& state_root, const std::string& project) {
  return state_root / "compose" / project;
}

}  // namespace berth::compose::orchestrate
