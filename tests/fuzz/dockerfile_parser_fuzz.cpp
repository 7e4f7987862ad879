// libFuzzer target: the Dockerfile parser, the stage model and substitution must turn ANY input
// into a Dockerfile or a clean exception, never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include "builder/dockerfile_stages.hpp"
#include "builder/dockerignore.hpp"
#include "builder/shell_words.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace berth::builder;
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto df = load_dockerfile(text, "Dockerfile", {{"TAG", "1"}});
    auto needed = stages_needed(df, resolve_target(df, ""));
    (void)build_waves(df, needed);
  } catch (const std::exception&) {
    // Rejecting bad input with an exception is the expected outcome.
  }
  try {
    (void)shell_expand(text, lookup_from_env({"A=1", "EMPTY="}));
  } catch (const std::exception&) {
  }
  try {
    auto d = DockerIgnore::parse(text);
    (void)d.excluded("a/b/c");
    (void)d.can_skip_dir("a");
  } catch (const std::exception&) {
  }
  return 0;
}
