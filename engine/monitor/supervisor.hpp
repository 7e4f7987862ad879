#pragma once
// The monitor's life: hold the lock, start the init (handshake with the runtime over `ctl` the
// first time), log its output, reap it, record its exit, apply the restart policy, run
// healthchecks. Returns the monitor's exit code.
namespace berth::monitor {

int run_monitor(const char* config_path, int ctl_fd);

// "berth-monitor reap -- cmd args...": the tiny PID 1 of `init: true` containers.
int reaper_main(int argc, char** argv);

}  // namespace berth::monitor
