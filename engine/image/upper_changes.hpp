#pragma once
// What a container changed, read from its overlay upper directory against the image's layers,
// as `docker container diff` prints it: A (added), C (changed), D (deleted).
#include <filesystem>
#include <string>
#include <vector>

namespace berth::engine {

struct PathChange {
  char kind = 'C';   // 'A', 'C' or 'D'
  std::string path;  // absolute, as seen in the container: "/etc/foo"
  bool operator==(const PathChange&) const = default;
};

// Sorted by path. A whiteout (0/0 character device) is a D; an entry that a lower layer shows
// is a C, else an A; an opaque directory also reports as D what the layers below showed in it.
// `lower_dirs` bottom -> top, as ImageStore::layer_dirs gives them.
std::vector<PathChange> upper_changes(const std::filesystem::path& upper,
                                      const std::vector<std::filesystem::path>& lower_dirs);

}  // namespace berth::engine
