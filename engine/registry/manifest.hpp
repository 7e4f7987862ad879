#pragma once
// Manifests as the registry serves them: OCI image index / Docker manifest list (choose a
// platform), OCI / Docker schema 2 image manifests; schema 1 and anything else refused clearly.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::engine::registry {

inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";

// The Accept header of a manifest request: every type berth can use, lists first.
std::string manifest_accept_header();

struct Platform {
  std::string os;            // "linux"
  std::string architecture;  // "amd64", "arm64", "arm", "386", ...
  std::string variant;       // "v8", "v7", "" when unspecified

  // "linux/arm64/v8", "linux/amd64", "arm64" (os defaults to linux); aliases normalized
  // (x86_64 -> amd64, aarch64 -> arm64). Throws UserError when malformed.
  static Platform parse(std::string_view s);
  std::string str() const;
  // Whether an index entry's platform satisfies this wanted platform (variant defaults: arm64
  // means v8, arm means v7 when the wanted one leaves it out).
  bool matches(const Platform& entry) const;
};

// The running host's platform (uname machine).
Platform detect_host_platform();

struct Descriptor {
  std::string media_type;
  std::string digest;
  std::uint64_t size = 0;
  std::optional<Platform> platform;  // index entries
  bool has_urls = false;             // foreign / non-distributable layer
};

struct Manifest {
  bool is_index = false;
  std::string media_type;
  Descriptor config;                  // image manifests
  std::vector<Descriptor> layers;     // image manifests, bottom -> top
  std::vector<Descriptor> manifests;  // indexes
};

// Parses a manifest body. `content_type` (the response's Content-Type) is used when the body has
// no mediaType field. Throws UserError for schema 1 ("...not supported: schema 1 ...") and other
// unsupported or malformed manifests.
Manifest parse_manifest(std::string_view body, std::string_view content_type);

// The index entry for `want`; throws UserError naming the platforms the index offers.
const Descriptor& select_platform(const Manifest& index, const Platform& want);

}  // namespace berth::engine::registry
