#pragma once
// The labels that make a container part of a project (compose's names, for familiarity):
// membership lives on the containers themselves, never in a separate database (DESIGN.md).
namespace berth::compose::orchestrate {

inline constexpr const char* kProjectLabel = "com.docker.compose.project";
inline constexpr const char* kServiceLabel = "com.docker.compose.service";
inline constexpr const char* kNumberLabel = "com.docker.compose.container-number";
inline constexpr const char* kConfigHashLabel = "com.docker.compose.config-hash";
inline constexpr const char* kOneoffLabel = "com.docker.compose.oneoff";  // "True" | "False"
inline constexpr const char* kWorkingDirLabel = "com.docker.compose.project.working_dir";
inline constexpr const char* kConfigFilesLabel = "com.docker.compose.project.config_files";
inline constexpr const char* kImageLabel = "com.docker.compose.image";      // image id at create
inline constexpr const char* kDependsOnLabel = "com.docker.compose.depends_on";
inline constexpr const char* kVersionLabel = "com.docker.compose.version";
inline constexpr const char* kNetworkLabel = "com.docker.compose.network";  // on networks
inline constexpr const char* kVolumeLabel = "com.docker.compose.volume";    // on volumes
inline constexpr const char* kVersion = "2.29.0-berth";

}  // namespace berth::compose::orchestrate
