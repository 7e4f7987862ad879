#pragma once
// A small HTTP/1.1 client for the registry protocol (Boost.Beast over Asio, OpenSSL): one
// keep-alive connection at a time, TLS with verification, redirects, bodies streamed to a sink.
// Not thread-safe: one HttpClient per thread (RegistrySession keeps a pool).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace berth::engine::registry {

struct Url {
  std::string scheme;  // "https" / "http"
  std::string host;    // name or address (IPv6 without brackets)
  std::string port;    // always set ("443" / "80" when absent)
  std::string target;  // path + query, "/" at least

  // Absolute "scheme://host[:port]/path?q"; throws UserError when malformed.
  static Url parse(std::string_view s);
  // A Location header value against this URL (absolute, scheme-relative or path).
  Url resolve(std::string_view location) const;
  std::string authority() const;  // host[:port], port omitted when default, IPv6 bracketed
  std::string str() const;
};

// "a=b c" -> "a%3Db%20c" (RFC 3986 unreserved kept).
std::string url_escape(std::string_view s);

struct TlsSettings {
  bool verify = true;
  std::vector<std::filesystem::path> ca_files;  // trusted in addition to the system store
};

struct HttpResponse;

struct HttpRequest {
  std::string method = "GET";
  Url url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                  // sent when body_file is empty
  std::filesystem::path body_file;   // a whole file as the body (monolithic blob upload)
  // Called with status and headers of the final response before its body is read (e.g. to see
  // whether a Range request was honoured before bytes reach the sink).
  std::function<void(const HttpResponse&)> on_head;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;                                           // unless streamed to a sink
  Url url;                                                    // the URL that answered (after redirects)
  // First value of a header (name case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
};

// Receives a 2xx response body as it arrives.
using BodySink = std::function<void(const char* data, std::size_t len)>;

// Transport failures, classified so callers can fall back (Tls: the server does not speak TLS)
// or resume (Io after some bytes arrived).
class TransportError : public UserError {
 public:
  enum class Kind { Connect, Tls, TlsVerify, Io };
  TransportError(Kind kind, const std::string& message) : UserError(message), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

class HttpClient {
 public:
  HttpClient(TlsSettings tls, std::chrono::seconds timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends the request. Redirects (301/302/303/307/308, up to 10) are followed when
  // `follow_redirects`; the Authorization header is dropped when a redirect leaves the host.
  // With a sink, a 2xx body goes to the sink instead of HttpResponse::body; without one a 2xx
  // body is buffered (more than 32 MiB is an error), other bodies are cut at 1 MiB.
  // Throws TransportError.
  HttpResponse send(const HttpRequest& req, const BodySink& sink = {}, bool follow_redirects = true);

  // Drops the connection (the next request reconnects).
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::engine::registry
