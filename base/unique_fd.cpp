#include "base/unique_fd.hpp"

#include <fcntl.h>

#include "base/error.hpp"

namespace berth {

UniqueFd UniqueFd::dup() const {
  int fd = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) throw_errno("fcntl(F_DUPFD_CLOEXEC)");
  return UniqueFd(fd);
}

}  // namespace berth
