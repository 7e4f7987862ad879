#include "engine/monitor/kv_text.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace berth::monitor {

void kv_put(std::string& out, const char* key, const std::string& value) {
  out += key;
  out += '=';
  for (char c : value) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\\')
      out += "\\\\";
    else
      out += c;
  }
  out += '\n';
}

void kv_put(std::string& out, const char* key, long value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld", value);
  kv_put(out, key, std::string(buf));
}

std::vector<std::pair<std::string, std::string>> kv_parse(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::size_t eq = text.find('=', pos);
    if (eq != std::string::npos && eq < end) {
      std::string value;
      for (std::size_t i = eq + 1; i < end; ++i) {
        if (text[i] == '\\' && i + 1 < end) {
          ++i;
          value += text[i] == 'n' ? '\n' : text[i];
        } else {
          value += text[i];
        }
      }
      out.emplace_back(text.substr(pos, eq - pos), std::move(value));
    }
    pos = end + 1;
  }
  return out;
}

bool read_small_file(const char* path, std::string& out) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      errno = err;
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return true;
}

}  // namespace berth::monitor
