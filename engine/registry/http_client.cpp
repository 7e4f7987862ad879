// HTTP/1.1 over Beast. Every operation is asynchronous on a private io_context and run to
// completion at once: that is how Beast's tcp_stream applies a timeout to each connect, handshake,
// read and write (blocking Asio calls would wait forever on a silent server).
#include "engine/registry/http_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <limits>

#include "base/log.hpp"

namespace berth::engine::registry {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// ---- URLs ----------------------------------------------------------------------------------------

Url Url::parse(std::string_view s) {
  Url u;
  auto colon = s.find("://");
  if (colon == std::string_view::npos) throw UserError("invalid URL \"" + std::string(s) + "\"");
  u.scheme = std::string(s.substr(0, colon));
  std::transform(u.scheme.begin(), u.scheme.end(), u.scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (u.scheme != "http" && u.scheme != "https") throw UserError("unsupported URL scheme in \"" + std::string(s) + "\"");
  std::string_view rest = s.substr(colon + 3);
  auto slash = rest.find_first_of("/?");
  std::string_view auth = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (u.target[0] == '?') u.target = "/" + u.target;
  if (auto at = auth.rfind('@'); at != std::string_view::npos) auth = auth.substr(at + 1);  // userinfo: ignored
  if (!auth.empty() && auth[0] == '[') {
    auto close = auth.find(']');
    if (close == std::string_view::npos) throw UserError("invalid URL \"" + std::string(s) + "\"");
    u.host = std::string(auth.substr(1, close - 1));
    if (close + 1 < auth.size() && auth[close + 1] == ':') u.port = std::string(auth.substr(close + 2));
  } else if (auto c = auth.rfind(':'); c != std::string_view::npos) {
    u.host = std::string(auth.substr(0, c));
    u.port = std::string(auth.substr(c + 1));
  } else {
    u.host = std::string(auth);
  }
  if (u.host.empty()) throw UserError("invalid URL \"" + std::string(s) + "\": no host");
  if (u.port.empty()) u.port = u.scheme == "https" ? "443" : "80";
  if (!std::all_of(u.port.begin(), u.port.end(), [](unsigned char c) { return std::isdigit(c); }))
    throw UserError("invalid URL \"" + std::string(s) + "\": bad port");
  return u;
}

Url Url::resolve(std::string_view loc) const {
  if (loc.find("://") != std::string_view::npos) return parse(loc);
  if (loc.starts_with("//")) return parse(scheme + ":" + std::string(loc));
  Url u = *this;
  if (loc.starts_with("/")) {
    u.target = std::string(loc);
  } else {  // relative to the current path's directory
    std::string path = target.substr(0, target.find('?'));
    u.target = path.substr(0, path.rfind('/') + 1) + std::string(loc);
  }
  return u;
}

std::string Url::authority() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  bool default_port = (scheme == "https" && port == "443") || (scheme == "http" && port == "80");
  return default_port ? h : h + ":" + port;
}

std::string Url::str() const { return scheme + "://" + authority() + target; }

std::string url_escape(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (auto& [k, v] : headers)
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        }))
      return v;
  return std::nullopt;
}

// ---- the client ----------------------------------------------------------------------------------

namespace {

constexpr std::size_t kMaxBufferedBody = 32u << 20;

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string ssl_error_text(const error_code& ec, SSL* s) {
  if (s) {
    long v = SSL_get_verify_result(s);
    if (v != X509_V_OK) return X509_verify_cert_error_string(v);
  }
  return ec.message();
}

}  // namespace

struct HttpClient::Impl {
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  bool ctx_ready = false;  // CA store loaded: on the first TLS connection (plain HTTP needs none)
  TlsSettings tls;
  std::chrono::seconds timeout;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  std::string conn_key;  // scheme://authority of the open connection
  beast::flat_buffer buf;

  // Loading the system CA store parses every certificate in it: only for TLS connections.
  void prepare_tls() {
    if (ctx_ready) return;
    error_code ec;
    ctx.set_default_verify_paths(ec);  // honours SSL_CERT_FILE / SSL_CERT_DIR
    if (ec) log::debug("TLS: no default CA paths: {}", ec.message());
    for (auto& f : tls.ca_files) {
      ctx.load_verify_file(f.string(), ec);
      if (ec) throw UserError("cannot load CA certificate " + f.string() + ": " + ec.message());
    }
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ctx_ready = true;
  }

  // Runs one asynchronous operation to completion and returns its error.
  template <class Start>
  error_code run(Start&& start) {
    error_code result = asio::error::would_block;
    start([&result](error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  void close() {
    error_code ec;
    if (secure) beast::get_lowest_layer(*secure).socket().close(ec);
    if (plain) plain->socket().close(ec);
    secure.reset();
    plain.reset();
    conn_key.clear();
    buf.consume(buf.size());
  }

  void connect(const Url& url) {
    close();
    std::string where = url.authority();
    tcp::resolver resolver(ioc);
    tcp::resolver::results_type endpoints;
    error_code ec = run([&](auto&& h) {
      resolver.async_resolve(url.host, url.port, [&endpoints, h](error_code e, tcp::resolver::results_type r) mutable {
        endpoints = std::move(r);
        h(e);
      });
    });
    if (ec) throw TransportError(TransportError::Kind::Connect, "cannot resolve " + url.host + ": " + ec.message());
    beast::tcp_stream* stream;
    if (url.scheme == "https") {
      prepare_tls();
      secure.emplace(ioc, ctx);
      stream = &beast::get_lowest_layer(*secure);
    } else {
      plain.emplace(ioc);
      stream = &*plain;
    }
    stream->expires_after(timeout);
    ec = run([&](auto&& h) { stream->async_connect(endpoints, h); });
    if (ec) {
      close();
      throw TransportError(TransportError::Kind::Connect, "cannot connect to " + where + ": " + ec.message());
    }
    stream->socket().set_option(tcp::no_delay(true), ec);
    if (secure) {
      SSL* s = secure->native_handle();
      if (!is_ip_literal(url.host)) SSL_set_tlsext_host_name(s, url.host.c_str());
      if (tls.verify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(s);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (is_ip_literal(url.host))
          X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
        else
          X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0);
        secure->set_verify_mode(ssl::verify_peer);
      } else {
        secure->set_verify_mode(ssl::verify_none);
      }
      stream->expires_after(timeout);
      ec = run([&](auto&& h) { secure->async_handshake(ssl::stream_base::client, h); });
      if (ec) {
        long v = SSL_get_verify_result(s);
        bool verify_failed = v != X509_V_OK ||
                             (ec.category() == asio::error::get_ssl_category() &&
                              ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED);
        std::string text = ssl_error_text(ec, s);
        close();
        if (verify_failed)
          throw TransportError(TransportError::Kind::TlsVerify,
                               "TLS certificate of " + where + " not trusted: " + text);
        throw TransportError(TransportError::Kind::Tls, "TLS handshake with " + where + " failed: " + text);
      }
    }
    conn_key = url.scheme + "://" + url.authority();
  }

  template <class Msg>
  error_code write(Msg& msg) {
    lowest().expires_after(timeout);
    if (secure) return run([&](auto&& h) { http::async_write(*secure, msg, h); });
    return run([&](auto&& h) { http::async_write(*plain, msg, h); });
  }

  template <class Parser>
  error_code read_header(Parser& p) {
    lowest().expires_after(timeout);
    if (secure) return run([&](auto&& h) { http::async_read_header(*secure, buf, p, h); });
    return run([&](auto&& h) { http::async_read_header(*plain, buf, p, h); });
  }

  template <class Parser>
  error_code read_some(Parser& p) {
    lowest().expires_after(timeout);
    if (secure) return run([&](auto&& h) { http::async_read(*secure, buf, p, h); });
    return run([&](auto&& h) { http::async_read(*plain, buf, p, h); });
  }

  // One request/response exchange on the current (or a new) connection, no redirects.
  HttpResponse exchange(const HttpRequest& req, const BodySink& sink) {
    std::string key = req.url.scheme + "://" + req.url.authority();
    bool reused = conn_key == key;
    for (int attempt = 0;; ++attempt) {
      if (conn_key != key) connect(req.url);
      try {
        return exchange_once(req, sink);
      } catch (const StaleConnection&) {
        // The server closed an idle keep-alive connection before we sent anything it read.
        close();
        if (!reused || attempt > 0) throw TransportError(TransportError::Kind::Io, "connection to " + req.url.authority() + " closed by the server");
      }
    }
  }

  struct StaleConnection {};

  template <class Body>
  void prepare(http::request<Body>& r, const HttpRequest& req) {
    r.method_string(req.method);
    r.target(req.url.target);
    r.version(11);
    r.set(http::field::host, req.url.authority());
    r.set(http::field::user_agent, "berth/0.1");
    for (auto& [k, v] : req.headers) r.set(k, v);
    r.keep_alive(true);
  }

  HttpResponse exchange_once(const HttpRequest& req, const BodySink& sink) {
    error_code ec;
    if (!req.body_file.empty()) {
      http::request<http::file_body> r;
      prepare(r, req);
      r.body().open(req.body_file.c_str(), beast::file_mode::scan, ec);
      if (ec) throw SysError(ec.value(), "open", req.body_file.string());
      r.prepare_payload();
      ec = write(r);
    } else {
      http::request<http::string_body> r;
      prepare(r, req);
      r.body() = req.body;
      if (!req.body.empty() || req.method == "PUT" || req.method == "POST" || req.method == "PATCH") r.prepare_payload();
      ec = write(r);
    }
    if (ec == asio::error::broken_pipe || ec == asio::error::connection_reset) throw StaleConnection{};
    if (ec) throw io_error(req, "sending request", ec);

    http::response_parser<http::buffer_body> p;
    p.header_limit(64 * 1024);
    p.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (req.method == "HEAD") p.skip(true);
    ec = read_header(p);
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == ssl::error::stream_truncated)
      throw StaleConnection{};
    if (ec) throw io_error(req, "reading response", ec);

    HttpResponse res;
    res.url = req.url;
    res.status = static_cast<int>(p.get().result_int());
    for (auto& f : p.get()) {
      std::string name(f.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      res.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    bool redirect = res.status >= 300 && res.status < 400 && res.header("location");
    if (req.on_head && !redirect) req.on_head(res);
    bool stream_body = sink && res.status >= 200 && res.status < 300;
    std::vector<char> chunk(256 * 1024);
    while (!p.is_done()) {
      p.get().body().data = chunk.data();
      p.get().body().size = chunk.size();
      ec = read_some(p);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) throw io_error(req, "reading response body", ec);
      std::size_t got = chunk.size() - p.get().body().size;
      if (got == 0) continue;
      if (stream_body) {
        sink(chunk.data(), got);
      } else {
        // Manifests and configs are read whole (bounded); error bodies only need their start.
        std::size_t limit = res.status >= 200 && res.status < 300 ? kMaxBufferedBody : (1u << 20);
        if (res.body.size() + got > limit && limit == kMaxBufferedBody)
          throw TransportError(TransportError::Kind::Io, "response from " + req.url.str() + " is larger than " +
                                                             std::to_string(limit >> 20) + " MiB");
        res.body.append(chunk.data(), std::min(got, limit - std::min(limit, res.body.size())));
      }
    }
    if (!p.get().keep_alive()) close();
    return res;
  }

  TransportError io_error(const HttpRequest& req, const char* what, const error_code& ec) {
    close();
    std::string why = ec == beast::error::timeout ? "timed out" : ec.message();
    return TransportError(TransportError::Kind::Io, what + std::string(" (") + req.method + " " + req.url.str() + "): " + why);
  }
};

HttpClient::HttpClient(TlsSettings tls, std::chrono::seconds timeout) : impl_(std::make_unique<Impl>()) {
  impl_->tls = std::move(tls);
  impl_->timeout = timeout;
  // Beast reads at most max(512, capacity - size) bytes per call into the dynamic buffer (capped
  // at 64 KiB): left to grow on its own, the buffer stays around 1 KiB and a 200 MB pull took
  // ~400 000 recvmsg calls (each with a timer update and an epoll_wait).
  impl_->buf.reserve(64 * 1024);
}

HttpClient::~HttpClient() = default;

void HttpClient::close() { impl_->close(); }

HttpResponse HttpClient::send(const HttpRequest& req, const BodySink& sink, bool follow_redirects) {
  HttpRequest cur = req;
  for (int hops = 0;; ++hops) {
    log::debug("http: {} {}", cur.method, cur.url.str());
    HttpResponse res = impl_->exchange(cur, sink);
    bool redirect = res.status == 301 || res.status == 302 || res.status == 303 || res.status == 307 || res.status == 308;
    auto loc = res.header("location");
    if (!follow_redirects || !redirect || !loc) return res;
    if (hops >= 10) throw TransportError(TransportError::Kind::Io, "too many redirects from " + req.url.str());
    Url next = cur.url.resolve(*loc);
    if (next.authority() != cur.url.authority() || next.scheme != cur.url.scheme)
      std::erase_if(cur.headers, [](auto& h) {
        std::string k = h.first;
        std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
        return k == "authorization";
      });
    if (res.status == 303 || ((res.status == 301 || res.status == 302) && cur.method == "POST")) {
      cur.method = "GET";
      cur.body.clear();
      cur.body_file.clear();
    }
    cur.url = next;
  }
}

}  // namespace berth::engine::registry
