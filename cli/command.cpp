#include "cli/command.hpp"

#include <algorithm>

namespace berth::cli {

namespace {
std::vector<std::pair<int, RegisterFn>>& registry() {
  static std::vector<std::pair<int, RegisterFn>> r;
  return r;
}
}  // namespace

CommandRegistration::CommandRegistration(int order, RegisterFn fn) { registry().emplace_back(order, fn); }

void register_all(CLI::App& app, Context& ctx) {
  auto& r = registry();
  std::stable_sort(r.begin(), r.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [order, fn] : r) fn(app, ctx);
}

}  // namespace berth::cli
