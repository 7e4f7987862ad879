#pragma once
// The tiny test image every berth test starts from: Debian's static busybox with its applet links,
// /etc/passwd + /etc/group (root, app uid 1000, nobody), /tmp; built by
// scripts/make-busybox-image.sh and imported through the real `berth image import`.
#include <filesystem>
#include <string>

namespace berth::test {

inline constexpr const char* kBusyboxImage = "berth-test/busybox:latest";

// Makes sure `name` exists in the store at `state_root` (imports it once; cheap afterwards).
// Returns the image reference. Throws std::runtime_error with the script's output on failure.
// `extra_dir`: its contents are added at the image's root.
std::string ensure_busybox_image(const std::filesystem::path& state_root, const std::string& name = kBusyboxImage,
                                 const std::filesystem::path& extra_dir = {});

// Runs a shell command, returns its exit status; output (stdout+stderr) into *out if given.
int run_command(const std::string& cmd, std::string* out = nullptr);

}  // namespace berth::test
