#pragma once
// The one error model of berth (see DESIGN.md "Errors"): exceptions that carry their context.
//  - SysError:    a failed system call, naming the call, its object and errno text.
//  - ConfigError: a problem in a project file, naming file, line, column and key path.
//  - UserError:   misuse of the command line or a request that cannot be met.
// Context is added by nesting (with_context); main() prints the chain joined by ": ".
#include <cerrno>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace berth {

class SysError : public std::system_error {
 public:
  SysError(int err, std::string op, std::string subject);
  const std::string& op() const noexcept { return op_; }
  const std::string& subject() const noexcept { return subject_; }

 private:
  std::string op_;
  std::string subject_;
};

// The name of a project file, shared by every mark made in it: a loaded file has thousands of
// values, and a path of its own in each (and in each copy) was an allocation apiece.
class SourceFile {
 public:
  SourceFile() = default;
  SourceFile(std::string name) : name_(std::make_shared<const std::string>(std::move(name))) {}  // NOLINT: implicit
  SourceFile(const char* name) : SourceFile(std::string(name)) {}                              // NOLINT: implicit
  const std::string& str() const noexcept;
  operator const std::string&() const noexcept { return str(); }  // NOLINT: implicit
  bool empty() const noexcept { return str().empty(); }
  friend bool operator==(const SourceFile& a, std::string_view b) noexcept { return a.str() == b; }

 private:
  std::shared_ptr<const std::string> name_;
};

struct SourceMark {
  SourceFile file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
};

class ConfigError : public std::runtime_error {
 public:
  // Reads "file:line:col: path: message" with the parts that are known.
  ConfigError(SourceMark mark, std::string path, std::string message);
  const SourceMark& mark() const noexcept { return mark_; }
  const std::string& path() const noexcept { return path_; }
  const std::string& message() const noexcept { return message_; }

 private:
  SourceMark mark_;
  std::string path_;
  std::string message_;
};

class UserError : public std::runtime_error {
 public:
  explicit UserError(const std::string& message, int exit_code = 1)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

// Throws SysError for errno (or `err` when given). `op` is the call ("mount"), `subject` what
// it was applied to ("overlay on /run/berth/c1/rootfs").
[[noreturn]] void throw_errno(std::string_view op, std::string_view subject = {});
[[noreturn]] void throw_sys(int err, std::string_view op, std::string_view subject = {});

// Runs fn(); if it throws, rethrows nested inside a std::runtime_error(context).
template <class Fn>
decltype(auto) with_context(const std::string& context, Fn&& fn) {
  try {
    return std::forward<Fn>(fn)();
  } catch (...) {
    std::throw_with_nested(std::runtime_error(context));
  }
}

// "while starting web-1: mount overlay on ...: Invalid argument": the whole nested chain.
std::string describe(const std::exception& e);
std::string describe(std::exception_ptr e);

// The innermost exception's kind decides the exit code: config and user errors 1, system 125.
int exit_code_for(const std::exception& e);

// Returns the innermost nested exception of the given type, if any.
template <class T>
const T* find_nested(const std::exception& e) {
  if (auto* t = dynamic_cast<const T*>(&e)) return t;
  try {
    std::rethrow_if_nested(e);
  } catch (const std::exception& inner) {
    return find_nested<T>(inner);
  } catch (...) {
  }
  return nullptr;
}

}  // namespace berth
