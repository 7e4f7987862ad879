#pragma once
// An exclusive or shared flock(2) on a lock file, held for the object's lifetime.
#include <filesystem>
#include <optional>

#include "base/unique_fd.hpp"

namespace berth {

class FileLock {
 public:
  enum class Mode { Shared, Exclusive };
  // Creates the lock file (and its directory) if needed and blocks until the lock is held.
  static FileLock acquire(const std::filesystem::path& path, Mode mode = Mode::Exclusive);
  // As acquire, but returns nullopt instead of waiting when someone else holds it.
  static std::optional<FileLock> try_acquire(const std::filesystem::path& path,
                                             Mode mode = Mode::Exclusive);

  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace berth
