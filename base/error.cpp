#include "base/error.hpp"


namespace berth {

namespace {
// std::system_error appends ": <strerror>" to this itself.
std::string sys_what(const std::string& op, const std::string& subject) {
  return subject.empty() ? op : op + " " + subject;
}

std::string config_what(const SourceMark& m, const std::string& path, const std::string& msg) {
  std::string s;
  if (!m.file.empty()) {
    s += m.file.str();
    if (m.line > 0) {
      s += ":" + std::to_string(m.line);
      if (m.column > 0) s += ":" + std::to_string(m.column);
    }
    s += ": ";
  }
  if (!path.empty()) s += path + ": ";
  s += msg;
  return s;
}
}  // namespace

const std::string& SourceFile::str() const noexcept {
  static const std::string none;
  return name_ ? *name_ : none;
}

SysError::SysError(int err, std::string op, std::string subject)
    : std::system_error(err, std::generic_category(), sys_what(op, subject)),
      op_(std::move(op)),
      subject_(std::move(subject)) {}

ConfigError::ConfigError(SourceMark mark, std::string path, std::string message)
    : std::runtime_error(config_what(mark, path, message)),
      mark_(std::move(mark)),
      path_(std::move(path)),
      message_(std::move(message)) {}

void throw_errno(std::string_view op, std::string_view subject) { throw_sys(errno, op, subject); }

void throw_sys(int err, std::string_view op, std::string_view subject) {
  throw SysError(err, std::string(op), std::string(subject));
}

std::string describe(const std::exception& e) {
  std::string out = e.what();
  try {
    std::rethrow_if_nested(e);
  } catch (const std::exception& inner) {
    out += ": " + describe(inner);
  } catch (...) {
    out += ": unknown error";
  }
  return out;
}

std::string describe(std::exception_ptr p) {
  try {
    std::rethrow_exception(p);
  } catch (const std::exception& e) {
    return describe(e);
  } catch (...) {
    return "unknown error";
  }
}

int exit_code_for(const std::exception& e) {
  if (auto* u = find_nested<UserError>(e)) return u->exit_code();
  if (find_nested<ConfigError>(e)) return 1;
  if (find_nested<SysError>(e)) return 125;
  return 1;
}

}  // namespace berth
