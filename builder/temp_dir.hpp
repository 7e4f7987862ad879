#pragma once
// A directory under the state root (a COPY's staging dir, downloads, heredoc files) removed with
// everything in it when the owner goes, whether the step succeeded or not.
#include <filesystem>
#include <string>

#include "base/hex.hpp"
#include "builder/build_owner.hpp"

namespace berth::builder {

struct TempDir {
  std::filesystem::path path;
  TempDir(const std::filesystem::path& parent, const std::string& prefix) {
    std::filesystem::create_directories(parent);
    path = parent / (prefix + owner_tag() + "-" + random_hex(8));  // see build_owner.hpp
    std::filesystem::create_directory(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace berth::builder
