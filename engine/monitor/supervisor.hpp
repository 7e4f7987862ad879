#pragma once
// The monitor's life: hold the lock, start the init (handshake with the runtime over `ctl` the
// first time), log its output, reap it, record its exit, apply the restart policy, run
// healthchecks. Returns the monitor's exit code.
namespace berth::monitor {

// The configuration (monitor_config.hpp) is the first datagram on `ctl_fd`; when the runtime
// closes the socket instead (its set-up failed), the monitor exits at once, having done nothing.
int run_monitor(int ctl_fd);

}  // namespace berth::monitor
