#include "engine/runtime/cgroup_files.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/error.hpp"
#include "base/file_io.hpp"

namespace berth::engine {

void cgroup_write(const std::filesystem::path& file, const std::string& value) {
  FILE* f = std::fopen(file.c_str(), "we");
  if (!f) throw_errno("open", file.string());
  bool ok = std::fputs(value.c_str(), f) >= 0;
  int err = errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    if (err == EINVAL || err == EBUSY || err == ERANGE)
      throw CgroupRefused("cgroup refused " + file.filename().string() + "=" + value + " (" + std::strerror(err) + ")", err);
    throw_sys(err, "write " + value, file.string());
  }
}

std::string cgroup_read(const std::filesystem::path& file) {
  auto s = try_read_file(file).value_or("");
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace berth::engine
