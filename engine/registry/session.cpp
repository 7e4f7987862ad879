// Scheme choice, authentication and connection reuse for one registry.
#include "engine/registry/session.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/log.hpp"
#include "engine/registry/auth.hpp"

namespace berth::engine::registry {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// "host:5000" -> "host"; "[::1]:5000" -> "::1"
std::string host_part(std::string_view reg) {
  if (reg.starts_with("[")) return std::string(reg.substr(1, reg.find(']') - 1));
  if (std::count(reg.begin(), reg.end(), ':') == 1) return std::string(reg.substr(0, reg.find(':')));
  return std::string(reg);
}

bool has_port(std::string_view reg) {
  if (reg.starts_with("[")) return reg.find("]:") != std::string_view::npos;
  return std::count(reg.begin(), reg.end(), ':') == 1;
}

std::vector<std::string> insecure_from_file(const fs::path& p) {
  auto text = try_read_file(p);
  if (!text) return {};
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw UserError(p.string() + ": not a valid JSON object");
  std::vector<std::string> out;
  if (!j.contains("insecure-registries")) return out;
  if (!j["insecure-registries"].is_array()) throw UserError(p.string() + ": insecure-registries: must be a list of host[:port]");
  for (auto& e : j["insecure-registries"]) {
    if (!e.is_string()) throw UserError(p.string() + ": insecure-registries: must be a list of host[:port]");
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::string strip_scheme(std::string s) {
  if (auto p = s.find("://"); p != std::string::npos) s = s.substr(p + 3);
  while (!s.empty() && s.back() == '/') s.pop_back();
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

void add_cert_dir(std::vector<fs::path>& out, const fs::path& dir) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    auto ext = it->path().extension();
    if (ext == ".crt" || ext == ".pem") out.push_back(it->path());
  }
}

}  // namespace

std::string api_host(std::string_view registry) {
  return registry == "docker.io" ? "registry-1.docker.io" : std::string(registry);
}

bool is_loopback_registry(std::string_view registry) {
  std::string host = host_part(registry);
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

bool is_insecure_registry(const RegistryOptions& opts, std::string_view registry) {
  std::vector<std::string> list = opts.insecure_registries;
  if (!opts.state_root.empty())
    for (auto& e : insecure_from_file(opts.state_root / "registries.json")) list.push_back(e);
  for (auto& e : insecure_from_file("/etc/berth/registries.json")) list.push_back(e);
  std::string want = strip_scheme(std::string(registry));
  for (auto& e : list) {
    std::string entry = strip_scheme(e);
    if (entry == want || (!has_port(entry) && entry == host_part(want))) return true;
  }
  return false;
}

std::string registry_error_code(const HttpResponse& res) {
  json j = json::parse(res.body, nullptr, false);
  if (j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty() &&
      j["errors"][0].is_object())
    return j["errors"][0].value("code", "");
  return "";
}

std::string registry_error_text(const HttpResponse& res) {
  json j = json::parse(res.body, nullptr, false);
  if (j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
    std::string out;
    for (auto& e : j["errors"]) {
      if (!e.is_object()) continue;
      if (!out.empty()) out += "; ";
      out += e.value("code", "ERROR") + ": " + e.value("message", "");
    }
    if (!out.empty()) return out;
  }
  std::string text = "HTTP " + std::to_string(res.status);
  std::string body = res.body.substr(0, 200);
  std::replace(body.begin(), body.end(), '\n', ' ');
  if (!body.empty() && body.find_first_not_of(" \t\r") != std::string::npos) text += " (" + body + ")";
  return text;
}

RegistrySession::RegistrySession(RegistryOptions opts, std::string registry, std::vector<std::string> scopes,
                                 std::optional<Credentials> creds)
    : opts_(std::move(opts)), registry_(std::move(registry)), scopes_(std::move(scopes)), creds_(std::move(creds)) {
  creds_loaded_ = creds_given_ = creds_.has_value();
  tls_.verify = !is_insecure_registry(opts_, registry_);
  tls_.ca_files = opts_.ca_files;
  std::string dir_name = api_host(registry_);
  if (!opts_.state_root.empty()) add_cert_dir(tls_.ca_files, opts_.state_root / "certs.d" / dir_name);
  add_cert_dir(tls_.ca_files, fs::path("/etc/berth/certs.d") / dir_name);
}

RegistrySession::~RegistrySession() = default;

std::unique_ptr<HttpClient> RegistrySession::borrow() {
  {
    std::lock_guard lk(mu_);
    if (!pool_.empty()) {
      auto c = std::move(pool_.back());
      pool_.pop_back();
      return c;
    }
  }
  return std::make_unique<HttpClient>(tls_, std::chrono::seconds(opts_.timeout_seconds));
}

void RegistrySession::give_back(std::unique_ptr<HttpClient> c) {
  std::lock_guard lk(mu_);
  pool_.push_back(std::move(c));
}

void RegistrySession::ping_locked() {
  if (pinged_) return;
  std::string host = api_host(registry_);
  bool may_http = !tls_.verify || is_loopback_registry(registry_);
  std::vector<std::string> schemes = may_http ? std::vector<std::string>{"https", "http"} : std::vector<std::string>{"https"};
  for (size_t i = 0; i < schemes.size(); ++i) {
    Url u = Url::parse(schemes[i] + "://" + host + "/v2/");
    try {
      HttpClient client(tls_, std::chrono::seconds(opts_.timeout_seconds));
      HttpResponse res = client.send(HttpRequest{"GET", u, {}, {}, {}});
      base_ = u.scheme + "://" + u.authority();
      if (res.status == 401) challenge_ = res.header("www-authenticate").value_or("");
      pinged_ = true;
      log::debug("registry {}: {} answers /v2/ with {}", registry_, base_, res.status);
      return;
    } catch (const TransportError& e) {
      bool last = i + 1 == schemes.size();
      bool no_tls = e.kind() == TransportError::Kind::Tls || (e.kind() == TransportError::Kind::Connect && !has_port(registry_));
      if (last || !no_tls) throw;
      log::debug("registry {}: {}; trying plain HTTP", registry_, e.what());
    }
  }
}

Url RegistrySession::url(const std::string& path) {
  std::lock_guard lk(mu_);
  ping_locked();
  return Url::parse(base_ + path);
}

void RegistrySession::add_scope(const std::string& scope) {
  std::lock_guard lk(mu_);
  if (std::find(scopes_.begin(), scopes_.end(), scope) == scopes_.end()) {
    scopes_.push_back(scope);
    auth_header_.clear();  // a token for the old scopes would not cover it
  }
}

std::string RegistrySession::fetch_token(const std::string& realm, const std::string& service,
                                         std::vector<std::string> scopes) {
  Url u = Url::parse(realm);
  if (u.scheme == "http" && tls_.verify && !is_loopback_registry(u.authority()))
    throw UserError("refusing to send credentials to a plain-HTTP token service " + realm);
  std::string query;
  auto add = [&](const std::string& k, const std::string& v) {
    query += (query.empty() && u.target.find('?') == std::string::npos ? "?" : "&") + k + "=" + url_escape(v);
  };
  if (!service.empty()) add("service", service);
  for (auto& s : scopes) add("scope", s);
  if (creds_) add("account", creds_->username);
  u.target += query;
  HttpRequest req{"GET", u, {}, {}, {}};
  if (creds_) req.headers.emplace_back("Authorization", "Basic " + base64_encode(creds_->username + ":" + creds_->password));
  // Called with mu_ held: a private connection, not one from the pool.
  HttpClient client(tls_, std::chrono::seconds(opts_.timeout_seconds));
  HttpResponse res = client.send(req);
  if (res.status == 401 || res.status == 403) {
    if (creds_) throw UserError("unauthorized: incorrect username or password");
    throw UserError("unauthorized: authentication required (run 'berth login " + registry_ + "')");
  }
  if (res.status != 200) throw UserError("token service " + u.authority() + " answered " + registry_error_text(res));
  json j = json::parse(res.body, nullptr, false);
  std::string token;
  if (j.is_object()) token = j.value("token", j.value("access_token", ""));
  if (token.empty()) throw UserError("token service " + u.authority() + " returned no token");
  return token;
}

void RegistrySession::authenticate(const std::string& header, bool after_failure) {
  std::lock_guard lk(mu_);
  if (!creds_loaded_) {
    creds_ = load_credentials(opts_, registry_);
    creds_loaded_ = true;
  }
  auto challenges = parse_www_authenticate(header);
  const Challenge* bearer = nullptr;
  const Challenge* basic = nullptr;
  for (auto& c : challenges) {
    if (c.scheme == "bearer" && !bearer) bearer = &c;
    if (c.scheme == "basic" && !basic) basic = &c;
  }
  if (bearer) {
    auto realm = bearer->params.find("realm");
    if (realm == bearer->params.end()) throw UserError("the registry sent a Bearer challenge without realm");
    std::vector<std::string> scopes = scopes_;
    if (auto s = bearer->params.find("scope"); s != bearer->params.end() && !s->second.empty() &&
                                                std::find(scopes.begin(), scopes.end(), s->second) == scopes.end())
      scopes.push_back(s->second);
    auto service = bearer->params.find("service");
    auth_header_ = "Bearer " + fetch_token(realm->second, service == bearer->params.end() ? "" : service->second, scopes);
    return;
  }
  if (basic) {
    if (!creds_) throw UserError("unauthorized: authentication required (run 'berth login " + registry_ + "')");
    std::string h = "Basic " + base64_encode(creds_->username + ":" + creds_->password);
    if (after_failure && h == auth_header_) throw UserError("unauthorized: incorrect username or password");
    auth_header_ = h;
    return;
  }
  throw UserError("unauthorized (unsupported authentication challenge \"" + header + "\")");
}

HttpResponse RegistrySession::send(HttpRequest req, const BodySink& sink, bool follow_redirects) {
  {
    std::lock_guard lk(mu_);
    ping_locked();
    if (req.url.host.empty()) throw UserError("registry request without URL");
  }
  for (int attempt = 0;; ++attempt) {
    HttpRequest r = req;
    std::string auth;
    {
      std::lock_guard lk(mu_);
      auth = auth_header_;
    }
    if (!auth.empty()) r.headers.emplace_back("Authorization", auth);
    auto client = borrow();
    HttpResponse res = client->send(r, sink, follow_redirects);
    give_back(std::move(client));
    if (res.status != 401) return res;
    if (attempt >= 1) {
      bool have_creds;
      {
        std::lock_guard lk(mu_);
        have_creds = creds_.has_value();
      }
      // Basic credentials refused a second time are wrong (a bearer token refused may just lack
      // the scope: the registry's text says which).
      if (have_creds && auth.starts_with("Basic "))
        throw UserError("unauthorized: incorrect username or password for " + registry_ +
                        (creds_given_ ? "" : " (stored in " + docker_config_path(opts_).string() + ")"));
      throw UserError("unauthorized: " + registry_error_text(res) +
                      (have_creds ? "" : " (run 'berth login " + registry_ + "')"));
    }
    authenticate(res.header("www-authenticate").value_or(""), !auth.empty());
  }
}

void RegistrySession::verify_login() {
  std::string challenge;
  {
    std::lock_guard lk(mu_);
    ping_locked();
    challenge = challenge_;
  }
  if (challenge.empty()) return;
  auto challenges = parse_www_authenticate(challenge);
  bool bearer = std::any_of(challenges.begin(), challenges.end(), [](auto& c) { return c.scheme == "bearer"; });
  authenticate(challenge, false);
  if (bearer) return;  // the token service accepted the credentials
  HttpResponse res = send(HttpRequest{"GET", url("/v2/"), {}, {}, {}});
  if (res.status != 200) throw UserError(registry_error_text(res));
}

}  // namespace berth::engine::registry
