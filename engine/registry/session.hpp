#pragma once
// A conversation with one registry: which scheme it speaks, how it wants to be authenticated,
// the token for the scopes in use, and a pool of keep-alive connections shared by worker threads.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/registry/http_client.hpp"
#include "engine/registry/registry.hpp"

namespace berth::engine::registry {

// "docker.io" -> "registry-1.docker.io"; others unchanged.
std::string api_host(std::string_view registry);
// localhost, 127.0.0.0/8, ::1 (with or without a port).
bool is_loopback_registry(std::string_view registry);
// The insecure list of the options plus <root>/registries.json and /etc/berth/registries.json.
bool is_insecure_registry(const RegistryOptions& opts, std::string_view registry);

// {"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]} -> "MANIFEST_UNKNOWN: manifest
// unknown"; otherwise "HTTP 500" (+ a short body excerpt).
std::string registry_error_text(const HttpResponse& res);
// The first error code of such a body ("" when none).
std::string registry_error_code(const HttpResponse& res);

class RegistrySession {
 public:
  // `scopes`: token scopes to ask for, e.g. "repository:library/redis:pull".
  RegistrySession(RegistryOptions opts, std::string registry, std::vector<std::string> scopes,
                  std::optional<Credentials> creds = std::nullopt);
  ~RegistrySession();

  const std::string& registry() const { return registry_; }
  // Base URL + path ("/v2/..."). Pings the registry first (scheme, auth challenge).
  Url url(const std::string& path);
  void add_scope(const std::string& scope);

  // Sends with the current authorization; on 401 authenticates (Basic or a Bearer token for the
  // scopes) and retries once. A second 401 throws UserError("<registry>: unauthorized: ...").
  // Thread-safe: each call borrows a connection from the pool.
  HttpResponse send(HttpRequest req, const BodySink& sink = {}, bool follow_redirects = true);

  // Checks the credentials (login): GET /v2/ with Basic, or a token request without scope, as
  // `docker login` does. A registry that answers /v2/ without any challenge accepts anyone.
  // Throws UserError("<registry>: unauthorized: ...") when they are refused.
  void verify_login();

 private:
  struct Lease;
  void ping_locked();
  void authenticate(const std::string& challenge_header, bool after_failure);
  std::string fetch_token(const std::string& realm, const std::string& service, std::vector<std::string> scopes);
  std::unique_ptr<HttpClient> borrow();
  void give_back(std::unique_ptr<HttpClient> c);

  RegistryOptions opts_;
  std::string registry_;
  std::vector<std::string> scopes_;
  std::optional<Credentials> creds_;
  bool creds_loaded_ = false;
  bool creds_given_ = false;  // passed in (login), not read from the Docker config
  TlsSettings tls_;
  std::mutex mu_;
  bool pinged_ = false;
  std::string base_;         // "https://host:port"
  std::string challenge_;    // WWW-Authenticate of the last 401
  std::string auth_header_;  // current Authorization value ("" = anonymous)
  std::vector<std::unique_ptr<HttpClient>> pool_;
};

}  // namespace berth::engine::registry
