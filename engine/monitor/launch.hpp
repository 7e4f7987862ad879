#pragma once
// One start of the container init by the monitor: clone() into new mount/UTS/IPC/PID
// namespaces, exec "berth __init" with the init socket on fd 3 and the stdio pipes (or a pty)
// on 0-2, pass the InitSpec, wait for Ready. Then (after the runtime's pre-start hooks) Start,
// and wait for the socket to close: the command is running.
#include <sys/types.h>

#include <cstddef>
#include <string>

#include "engine/monitor/monitor_config.hpp"

namespace berth::monitor {

struct Launched {
  pid_t pid = -1;     // host pid of the init
  int sock = -1;      // the monitor's end of the init socket (until started)
  int out_fd = -1;    // stdout pipe (or the pty master)
  int err_fd = -1;    // stderr pipe (-1 with a tty)
  int stdin_fd = -1;  // write end kept open for stdin_open (or -1)
};

// Clones and waits for Ready. On failure returns false with `error` set to an init error
// datagram (JSON) and the child reaped (exit status in *status when it ran). The child runs on
// `stack` until its execve (a static one when null: one launch at a time, as in the monitor; a
// threaded caller passes one per launch).
bool launch_init(const Config& cfg, Launched& out, std::string& error, int* status, char* stack = nullptr,
                 std::size_t stack_size = 0);
// Sends Start and waits until exec happened. On failure: false, `error` as above, child reaped.
bool start_init(Launched& l, std::string& error, int* status);
// Blocking receive of one whole datagram into `out`; eof set (and true returned) when the peer
// closed; false on error.
bool recv_msg(int fd, std::string& out, bool& eof);
// An init error datagram built by the monitor itself (message JSON-escaped).
std::string make_error(int err, int exit_code, const std::string& message);
// Closes every fd of `l` (not the process).
void close_launched(Launched& l);

}  // namespace berth::monitor
