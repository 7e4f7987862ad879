#pragma once
// The attach socket of a container created with a tty or an open stdin: <dir>/attach.sock, a
// SOCK_SEQPACKET unix socket served by its monitor, one client at a time (Runtime::attach).
// Every message starts with a type byte:
//   client -> monitor: 'i' + bytes (to the container's stdin), 'w' + "ROWS COLS" (window size),
//                      'e' (stdin ended: closes the container's stdin; ignored with a tty)
//   monitor -> client: 'h' (first, to a client that is served), 'o' + bytes (stdout, or the
//                      tty), 'E' + bytes (stderr)
// The monitor closes the client when the container's process has exited and its output is
// drained. Output written before the first client attached (up to 64 KiB) is sent to it first,
// so that `run -it` does not lose a prompt printed between start and attach. A client that sees
// the socket close before 'h' was never served (the monitor was exiting, or another client is
// attached): what the container wrote is in its log, not on this socket.
// The socket's path can be longer than sun_path allows: both sides reach it through
// /proc/self/fd/<directory fd>/attach.sock.
namespace berth::monitor {

inline constexpr const char* kAttachSocketName = "attach.sock";
inline constexpr unsigned kAttachMaxMessage = 16384 + 1;

}  // namespace berth::monitor
