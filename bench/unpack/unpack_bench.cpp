// Times berth's layer unpacker on one archive: `unpack_bench ARCHIVE DEST [--sync] [--digest]`.
// Prints the wall time in seconds. Built by run.sh against the build dir's static libraries.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "base/error.hpp"
#include "engine/image/layer_unpack.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: unpack_bench ARCHIVE DEST [--sync] [--digest]\n");
    return 2;
  }
  berth::engine::UnpackOptions o;
  o.sync = false;
  for (int i = 3; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--sync")) o.sync = true;
    if (!std::strcmp(argv[i], "--digest")) o.compute_digest = true;
  }
  std::filesystem::create_directories(argv[2]);
  int fd = ::open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::perror(argv[1]);
    return 1;
  }
  try {
    auto t0 = std::chrono::steady_clock::now();
    auto r = berth::engine::unpack_layer(fd, argv[2], o);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%.3f %lld entries %lld bytes %s\n", s, static_cast<long long>(r.entries), static_cast<long long>(r.size),
                r.diff_id.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unpack_bench: %s\n", berth::describe(e).c_str());
    return 1;
  }
  return 0;
}
