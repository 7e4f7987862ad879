// Challenges, base64 and the Docker config file's "auths" section.
#include "engine/registry/auth.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/file_lock.hpp"
#include "base/log.hpp"

namespace berth::engine {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// "https://host:5000/v2/" -> "host:5000"
std::string strip_url(std::string_view s) {
  if (auto p = s.find("://"); p != std::string_view::npos) s = s.substr(p + 3);
  if (auto p = s.find('/'); p != std::string_view::npos) s = s.substr(0, p);
  return lower(std::string(s));
}

bool is_docker_hub(const std::string& host) {
  return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io" ||
         host == "registry.hub.docker.com";
}

json read_config(const fs::path& path) {
  auto text = try_read_file(path);
  if (!text || text->find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw UserError(path.string() + ": not a valid JSON object");
  return j;
}

void write_config(const fs::path& path, const json& j) {
  fs::create_directories(path.parent_path());
  write_file_atomic(path, j.dump(1, '\t') + "\n", 0600);
}

}  // namespace

std::string normalize_registry_name(std::string_view server) {
  std::string host = strip_url(server);
  if (host.empty() || is_docker_hub(host)) return "docker.io";
  return host;
}

std::string credential_key(std::string_view registry) {
  std::string host = normalize_registry_name(registry);
  return host == "docker.io" ? "https://index.docker.io/v1/" : host;
}

std::optional<Credentials> load_credentials(const RegistryOptions& opts, std::string_view server) {
  fs::path path = registry::docker_config_path(opts);
  json cfg = read_config(path);
  if (!cfg.contains("auths") || !cfg["auths"].is_object()) return std::nullopt;
  std::string want = normalize_registry_name(server);
  for (auto& [key, entry] : cfg["auths"].items()) {
    if (normalize_registry_name(key) != want || !entry.is_object()) continue;
    if (entry.contains("auth") && entry["auth"].is_string() && !entry["auth"].get<std::string>().empty()) {
      std::string plain = registry::base64_decode(entry["auth"].get<std::string>());
      auto colon = plain.find(':');
      if (colon == std::string::npos) throw UserError(path.string() + ": auths." + key + ".auth is not base64 of user:password");
      return Credentials{plain.substr(0, colon), plain.substr(colon + 1)};
    }
    if (entry.contains("username") && entry.contains("password"))
      return Credentials{entry.value("username", ""), entry.value("password", "")};
  }
  if (cfg.contains("credsStore") || cfg.contains("credHelpers"))
    log::debug("{}: credential helpers are not supported; only \"auths\" entries are read", path.string());
  return std::nullopt;
}

bool logout(const RegistryOptions& opts, std::string_view server) {
  fs::path path = registry::docker_config_path(opts);
  auto lock = FileLock::acquire(path.string() + ".lock");
  json cfg = read_config(path);
  if (!cfg.contains("auths") || !cfg["auths"].is_object()) return false;
  std::string want = normalize_registry_name(server);
  std::vector<std::string> gone;
  for (auto& [key, entry] : cfg["auths"].items())
    if (normalize_registry_name(key) == want) gone.push_back(key);
  for (auto& k : gone) cfg["auths"].erase(k);
  if (gone.empty()) return false;
  write_config(path, cfg);
  return true;
}

namespace registry {

fs::path docker_config_path(const RegistryOptions& opts) {
  if (!opts.docker_config.empty()) return opts.docker_config;
  if (const char* d = std::getenv("DOCKER_CONFIG"); d && *d) return fs::path(d) / "config.json";
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : "/root") / ".docker" / "config.json";
}

void store_credentials(const fs::path& path, std::string_view registry, const Credentials& creds) {
  auto lock = FileLock::acquire(path.string() + ".lock");
  json cfg = read_config(path);
  if (!cfg.contains("auths") || !cfg["auths"].is_object()) cfg["auths"] = json::object();
  std::string want = normalize_registry_name(registry);
  std::vector<std::string> old;
  for (auto& [key, entry] : cfg["auths"].items())
    if (normalize_registry_name(key) == want) old.push_back(key);
  for (auto& k : old) cfg["auths"].erase(k);
  cfg["auths"][credential_key(registry)] = {{"auth", base64_encode(creds.username + ":" + creds.password)}};
  write_config(path, cfg);
}

std::vector<Challenge> parse_www_authenticate(std::string_view h) {
  std::vector<Challenge> out;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
  };
  auto token = [&] {
    size_t b = i;
    while (i < h.size() && h[i] != ' ' && h[i] != '\t' && h[i] != '=' && h[i] != ',') ++i;
    return std::string(h.substr(b, i - b));
  };
  while (i < h.size()) {
    skip_ws();
    while (i < h.size() && (h[i] == ',' || h[i] == ' ')) ++i;
    if (i >= h.size()) break;
    std::string word = token();
    skip_ws();
    if (i < h.size() && h[i] == '=' && !out.empty()) {  // a parameter of the current challenge
      ++i;
      skip_ws();
      std::string value;
      if (i < h.size() && h[i] == '"') {
        ++i;
        while (i < h.size() && h[i] != '"') {
          if (h[i] == '\\' && i + 1 < h.size()) ++i;
          value += h[i++];
        }
        ++i;  // closing quote
      } else {
        value = token();
      }
      out.back().params[lower(word)] = value;
      skip_ws();
      if (i < h.size() && h[i] == ',') ++i;
    } else if (!word.empty()) {
      out.push_back(Challenge{lower(word), {}});
    } else {
      ++i;
    }
  }
  return out;
}

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string base64_decode(std::string_view in) {
  std::string data;
  for (char c : in)
    if (!std::isspace(static_cast<unsigned char>(c))) data += c;
  while (data.size() % 4) data += '=';  // unpadded input (some tools write it)
  std::string out(3 * data.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  if (n < 0) throw UserError("invalid base64 data");
  size_t pad = 0;
  for (size_t k = data.size(); k > 0 && data[k - 1] == '='; --k) ++pad;
  out.resize(static_cast<size_t>(n) - std::min<size_t>(pad, static_cast<size_t>(n)));
  return out;
}

}  // namespace registry
}  // namespace berth::engine
