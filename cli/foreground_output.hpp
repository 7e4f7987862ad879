#pragma once
// What a foreground `run` shows: the container's output until it ends.
#include <string>

#include "engine/runtime/runtime.hpp"

namespace berth::cli {

// A container with a tty or an open stdin gets this terminal (Runtime::attach: stdin relayed,
// the terminal raw while a tty is attached); otherwise, or when it has exited already, its log
// is followed. Returns when the container's output has ended.
void show_foreground_output(engine::Runtime& rt, const std::string& id);

}  // namespace berth::cli
