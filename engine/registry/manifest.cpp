// Manifest parsing and platform selection.
#include "engine/registry/manifest.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "engine/registry/registry.hpp"

namespace berth::engine {
namespace registry {

using nlohmann::json;

namespace {

std::string normalize_arch(std::string a) {
  std::transform(a.begin(), a.end(), a.begin(), [](unsigned char c) { return std::tolower(c); });
  if (a == "x86_64" || a == "x86-64") return "amd64";
  if (a == "aarch64") return "arm64";
  if (a == "i386" || a == "i686") return "386";
  if (a == "armhf" || a == "armel" || a.starts_with("armv")) return "arm";
  return a;
}

bool is_digest(const std::string& d) {
  if (!d.starts_with("sha256:") || d.size() != 71) return false;
  return std::all_of(d.begin() + 7, d.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Descriptor parse_descriptor(const json& j, const char* where) {
  if (!j.is_object()) throw UserError(std::string("manifest: ") + where + ": not an object");
  Descriptor d;
  d.media_type = j.value("mediaType", "");
  d.digest = j.value("digest", "");
  if (!is_digest(d.digest))
    throw UserError(std::string("manifest: ") + where + ": unsupported or malformed digest \"" + d.digest + "\"");
  if (!j.contains("size") || !j["size"].is_number_unsigned())
    throw UserError(std::string("manifest: ") + where + ": size missing");
  d.size = j["size"].get<std::uint64_t>();
  d.has_urls = j.contains("urls") && j["urls"].is_array() && !j["urls"].empty();
  if (j.contains("platform") && j["platform"].is_object()) {
    auto& p = j["platform"];
    d.platform = Platform{p.value("os", ""), normalize_arch(p.value("architecture", "")), p.value("variant", "")};
  }
  return d;
}

}  // namespace

std::string manifest_accept_header() {
  return std::string(kOciIndex) + ", " + std::string(kDockerList) + ", " + std::string(kOciManifest) + ", " +
         std::string(kDockerManifest) + ", " + std::string(kDockerSchema1Signed) + ";q=0.1";
}

Platform Platform::parse(std::string_view s) {
  std::vector<std::string> parts;
  size_t b = 0;
  for (;;) {
    auto e = s.find('/', b);
    parts.emplace_back(s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
    if (e == std::string_view::npos) break;
    b = e + 1;
  }
  if (parts.size() == 1) parts.insert(parts.begin(), "linux");
  if (parts.size() > 3 || std::any_of(parts.begin(), parts.end(), [](auto& p) { return p.empty(); }))
    throw UserError("invalid platform \"" + std::string(s) + "\" (expected os/arch[/variant], e.g. linux/arm64/v8)");
  Platform p{parts[0], normalize_arch(parts[1]), parts.size() == 3 ? parts[2] : ""};
  if (parts[1] == "aarch64" && p.variant.empty()) p.variant = "v8";
  if (parts[1].starts_with("armv") && p.variant.empty()) p.variant = "v" + std::string(1, parts[1][4]);
  return p;
}

std::string Platform::str() const { return os + "/" + architecture + (variant.empty() ? "" : "/" + variant); }

bool Platform::matches(const Platform& e) const {
  if (e.os != os || e.architecture != architecture) return false;
  if (variant.empty() || e.variant == variant) return true;
  // An entry without a variant is the default one of its architecture.
  if (e.variant.empty()) return (architecture == "arm64" && variant == "v8") || (architecture == "arm" && variant == "v7");
  return false;
}

Platform detect_host_platform() {
  struct utsname u {};
  ::uname(&u);
  std::string machine = u.machine;
  Platform p{"linux", normalize_arch(machine), ""};
  if (p.architecture == "arm64") p.variant = "v8";
  if (machine.starts_with("armv") && machine.size() > 4) p.variant = "v" + std::string(1, machine[4]);
  return p;
}

Manifest parse_manifest(std::string_view body, std::string_view content_type) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw UserError("manifest: not a JSON object");
  std::string type = j.value("mediaType", "");
  std::string ct(content_type.substr(0, content_type.find(';')));
  int schema = j.contains("schemaVersion") && j["schemaVersion"].is_number_integer() ? j["schemaVersion"].get<int>() : 0;
  if (type.empty()) {
    if (schema == 1 || ct == kDockerSchema1 || ct == kDockerSchema1Signed)
      type = std::string(kDockerSchema1Signed);
    else if (j.contains("manifests"))
      type = std::string(kOciIndex);
    else if (j.contains("config") && j.contains("layers"))
      type = std::string(kOciManifest);
    else
      type = ct;
  }
  if (type == kDockerSchema1 || type == kDockerSchema1Signed || schema == 1)
    throw UserError("manifest type " + type +
                    " (Docker image manifest schema 1) is not supported: the image is too old; push it again with a "
                    "current Docker or skopeo to convert it to schema 2");
  Manifest m;
  m.media_type = type;
  if (type == kOciIndex || type == kDockerList) {
    m.is_index = true;
    if (!j.contains("manifests") || !j["manifests"].is_array()) throw UserError("manifest list: \"manifests\" missing");
    for (auto& e : j["manifests"]) m.manifests.push_back(parse_descriptor(e, "manifests[]"));
    return m;
  }
  if (type != kOciManifest && type != kDockerManifest)
    throw UserError("unsupported manifest type \"" + type + "\" (berth reads OCI and Docker schema 2 images)");
  if (schema != 2) throw UserError("manifest: schemaVersion " + std::to_string(schema) + " is not supported");
  if (!j.contains("config") || !j.contains("layers") || !j["layers"].is_array())
    throw UserError("manifest: config or layers missing");
  m.config = parse_descriptor(j["config"], "config");
  for (auto& l : j["layers"]) {
    Descriptor d = parse_descriptor(l, "layers[]");
    if (d.media_type.find("encrypted") != std::string::npos)
      throw UserError("layer " + d.digest + " is encrypted (" + d.media_type + "): not supported");
    if (d.has_urls || d.media_type.find("nondistributable") != std::string::npos || d.media_type.find("foreign") != std::string::npos)
      throw UserError("layer " + d.digest + " is a foreign layer (" + d.media_type + "): not supported");
    m.layers.push_back(std::move(d));
  }
  return m;
}

const Descriptor& select_platform(const Manifest& index, const Platform& want) {
  for (auto& d : index.manifests)
    if (d.platform && want.matches(*d.platform) && d.media_type != kOciIndex && d.media_type != kDockerList) return d;
  std::string offered;
  for (auto& d : index.manifests) {
    if (!d.platform || d.platform->os == "unknown") continue;  // attestations
    offered += (offered.empty() ? "" : ", ") + d.platform->str();
  }
  throw UserError("no image for platform " + want.str() + " in the manifest list (it has: " +
                  (offered.empty() ? "none" : offered) + "); choose one with --platform");
}

}  // namespace registry

std::string host_platform() { return registry::detect_host_platform().str(); }

}  // namespace berth::engine
