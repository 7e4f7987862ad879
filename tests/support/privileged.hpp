#pragma once
// Privileged tests need root and a kernel that lets us make namespaces. Where that is missing they
// skip with a message, except under CI (CI=true), where a skip would hide untested code: there they fail.
#include <gtest/gtest.h>

#include <string>

namespace berth::test {

// Empty when privileged tests can run here; otherwise the reason they cannot.
std::string privilege_problem();
bool in_ci();

}  // namespace berth::test

#define BERTH_REQUIRE_ROOT()                                                      \
  do {                                                                            \
    std::string berth_problem_ = ::berth::test::privilege_problem();              \
    if (!berth_problem_.empty()) {                                                \
      if (::berth::test::in_ci()) FAIL() << "privileged test cannot run under CI: " << berth_problem_; \
      GTEST_SKIP() << "privileged test skipped: " << berth_problem_;              \
    }                                                                             \
  } while (0)
