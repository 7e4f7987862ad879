// Image reference parsing with Docker's normalization rules (distribution/reference):
// the first path component is a registry only if it looks like a host (has '.' or ':' or is
// "localhost"); otherwise the image is on docker.io, and single-component names live in library/.
#include <algorithm>
#include <cctype>

#include "base/error.hpp"
#include "engine/image/image_store.hpp"

namespace berth::engine {
namespace {

constexpr std::string_view kDockerHub = "docker.io";

[[noreturn]] void bad(std::string_view ref, const std::string& why) {
  throw UserError("invalid image reference \"" + std::string(ref) + "\": " + why);
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// [a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*
bool valid_path_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !is_lower_alnum(c[j])) ++j;
    std::string_view sep = c.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" ||
              std::all_of(sep.begin(), sep.end(), [](char ch) { return ch == '-'; });
    if (!ok) return false;
    i = j;
  }
  return true;
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(t[0])) return false;
  return std::all_of(t.begin(), t.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

bool valid_domain(std::string_view d) {
  if (d.empty()) return false;
  auto colon = d.rfind(':');
  std::string_view host = d, port;
  if (colon != std::string_view::npos && d.front() != '[') {
    host = d.substr(0, colon);
    port = d.substr(colon + 1);
    if (port.empty() || !std::all_of(port.begin(), port.end(), ::isdigit)) return false;
  }
  if (host.empty()) return false;
  if (host.front() == '[') return host.back() == ']';  // IPv6 literal
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) return false;
  return host.front() != '-' && host.front() != '.' && host.back() != '.';
}

}  // namespace

std::string ImageReference::name() const { return registry + "/" + repository; }

std::string ImageReference::str() const {
  std::string s = name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string ImageReference::familiar() const {
  std::string s;
  if (registry == kDockerHub) {
    constexpr std::string_view lib = "library/";
    if (repository.rfind(lib, 0) == 0 && repository.find('/', lib.size()) == std::string::npos)
      s = repository.substr(lib.size());
    else
      s = repository;
  } else {
    s = name();
  }
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

ImageReference parse_reference(std::string_view ref) {
  if (ref.empty()) bad(ref, "empty reference");
  if (ref.size() == 64 && is_hex(ref)) bad(ref, "cannot specify 64-byte hexadecimal strings");
  ImageReference r;
  std::string_view rest = ref;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    std::string_view dg = rest.substr(at + 1);
    rest = rest.substr(0, at);
    auto colon = dg.find(':');
    if (colon == std::string_view::npos) bad(ref, "digest must be algorithm:hex");
    std::string_view algo = dg.substr(0, colon), hex = dg.substr(colon + 1);
    if (algo != "sha256") bad(ref, "unsupported digest algorithm \"" + std::string(algo) + "\"");
    if (hex.size() != 64 || !is_hex(hex)) bad(ref, "sha256 digest must be 64 lower-case hex digits");
    r.digest = std::string(dg);
  }
  // A tag is after the last ':' that follows the last '/'.
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view tag = rest.substr(colon + 1);
    if (!valid_tag(tag)) bad(ref, "invalid tag \"" + std::string(tag) + "\"");
    r.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) bad(ref, "missing repository name");
  std::string_view path = rest;
  auto first_slash = rest.find('/');
  if (first_slash != std::string_view::npos) {
    std::string_view first = rest.substr(0, first_slash);
    if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
        first == "localhost" || std::any_of(first.begin(), first.end(), ::isupper)) {
      if (!valid_domain(first)) bad(ref, "invalid registry host \"" + std::string(first) + "\"");
      r.registry = std::string(first);
      path = rest.substr(first_slash + 1);
    }
  }
  if (r.registry.empty() || r.registry == "index.docker.io" || r.registry == "registry-1.docker.io")
    r.registry = std::string(kDockerHub);
  if (std::any_of(path.begin(), path.end(), ::isupper)) bad(ref, "repository name must be lowercase");
  size_t start = 0;
  for (;;) {
    auto end = path.find('/', start);
    std::string_view comp = path.substr(start, end == std::string_view::npos ? path.npos : end - start);
    if (!valid_path_component(comp))
      bad(ref, "invalid repository name component \"" + std::string(comp) + "\"");
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  r.repository = std::string(path);
  if (r.registry == kDockerHub && r.repository.find('/') == std::string::npos)
    r.repository = "library/" + r.repository;
  if (r.name().size() > 255) bad(ref, "repository name longer than 255 characters");
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

}  // namespace berth::engine
