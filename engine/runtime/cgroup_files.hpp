#pragma once
// Reading and writing one cgroup control file (v1 or v2).
#include <filesystem>
#include <string>

#include "base/error.hpp"

namespace berth::engine {

// A value the kernel refused; `err` is its errno (EBUSY: "no internal processes").
class CgroupRefused : public UserError {
 public:
  CgroupRefused(const std::string& message, int err) : UserError(message), err_(err) {}
  int err() const noexcept { return err_; }

 private:
  int err_;
};

// Writes `value` in one write(2). A value the kernel refuses (EINVAL, EBUSY, ERANGE) is a
// CgroupRefused naming the file and the value; other failures throw SysError with the path.
void cgroup_write(const std::filesystem::path& file, const std::string& value);
// The file's text without trailing blanks; "" when it does not exist.
std::string cgroup_read(const std::filesystem::path& file);

}  // namespace berth::engine
