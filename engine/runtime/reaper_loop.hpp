#pragma once
// The reaper loop of `init: true` containers (Docker's docker-init / tini role): the container's
// init stays as PID 1 (process_setup.hpp spawn_and_reap), forwards every signal to the command,
// reaps every orphan, and returns when the command exits, with its status as a shell gives it.
// The caller has blocked all signals.
#include <sys/types.h>

namespace berth::engine {

int reap_until_exit(pid_t child);

}  // namespace berth::engine
