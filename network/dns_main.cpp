// berth-dns: the embedded DNS server of one berth runtime dir (see network/dns_server.hpp).
// Started detached by the NetworkManager when the first network appears; exits when told that
// no network is left, on SIGTERM, or when its runtime dir is gone.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "network/dns_server.hpp"

int main(int argc, char** argv) {
  std::string table, control, pidfile;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string opt = argv[i];
    if (opt == "--table") table = argv[i + 1];
    else if (opt == "--control") control = argv[i + 1];
    else if (opt == "--pidfile") pidfile = argv[i + 1];
  }
  if (table.empty() || control.empty()) {
    std::fprintf(stderr, "usage: berth-dns --table FILE --control SOCKET [--pidfile FILE]\n");
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  try {
    boost::asio::io_context io(1);
    berth::network::DnsServer server(io, table, control);
    server.start();
    if (!pidfile.empty()) {
      std::string tmp = pidfile + ".tmp";
      std::ofstream(tmp) << ::getpid() << "\n";
      std::rename(tmp.c_str(), pidfile.c_str());
    }
    boost::asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
    io.run();
    if (!pidfile.empty()) ::unlink(pidfile.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "berth-dns: %s\n", e.what());
    return 1;
  }
  return 0;
}
