#include "builder/url_fetch.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "engine/registry/http_client.hpp"

namespace berth::builder {

std::string url_file_name(const std::string& url) {
  auto u = engine::registry::Url::parse(url);
  std::string path = u.target.substr(0, u.target.find_first_of("?#"));
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void fetch_url(const std::string& url, const std::filesystem::path& file) {
  auto u = engine::registry::Url::parse(url);
  engine::registry::HttpClient client({}, std::chrono::seconds(60));
  UniqueFd out(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out) throw_errno("create", file.string());
  engine::registry::HttpRequest req;
  req.url = u;
  auto res = client.send(req, [&](const char* data, std::size_t len) {
    while (len > 0) {
      ssize_t n = ::write(out.get(), data, len);
      if (n < 0) throw_errno("write", file.string());
      data += n;
      len -= static_cast<std::size_t>(n);
    }
  });
  if (res.status < 200 || res.status > 299) throw UserError("GET " + url + ": HTTP " + std::to_string(res.status));
  if (::fchmod(out.get(), 0600) != 0) throw_errno("chmod", file.string());
}

}  // namespace berth::builder
