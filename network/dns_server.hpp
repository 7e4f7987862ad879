#pragma once
// The embedded DNS server (run by the berth-dns program, one per state root's runtime dir):
// UDP and TCP on every network's gateway address, answers from a DnsIndex, forwards the rest to
// upstream resolvers with timeouts. Single-threaded Boost.Asio: a reload swaps the index between
// two events, so no query is lost or answered from half a table while names change.
//
// Control: a unix stream socket; the manager sends "reload\n" after replacing the table file and
// gets "ok\n" (or "ok exit\n" when no network is left, after which the server stops, or
// "error <text>\n" when a listener could not be opened). "ping\n" -> "pong <pid>\n".
#include <utility>  // boost 1.74 asio/awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "network/dns_message.hpp"
#include "network/dns_table.hpp"

namespace berth::network {

class DnsServer {
 public:
  DnsServer(boost::asio::io_context& io, std::filesystem::path table_path, std::filesystem::path control_path);
  ~DnsServer();
  // Binds the control socket (fails if another server answers there), loads the table, opens
  // listeners. Throws on a bad control socket; listener problems are logged.
  void start();
  std::chrono::milliseconds forward_timeout{1500};

 private:
  struct Listener;
  struct ControlSession;
  struct TcpSession;
  using Reply = std::function<void(std::vector<uint8_t>)>;

  std::string reload();
  std::string sync_listeners();
  void receive_udp(const std::shared_ptr<Listener>& l);
  void accept_tcp(const std::shared_ptr<Listener>& l);
  void accept_control();
  void watchdog();
  void handle(std::vector<uint8_t> msg, const IpAddress& source, const IpAddress& local, bool tcp, Reply reply);
  void forward_udp(std::vector<uint8_t> msg, std::vector<std::string> upstreams, size_t next, Reply reply,
                   const dns::Query& q);
  void forward_tcp(std::vector<uint8_t> msg, std::vector<std::string> upstreams, size_t next, Reply reply,
                   const dns::Query& q);

  boost::asio::io_context& io_;
  std::filesystem::path table_path_, control_path_;
  boost::asio::local::stream_protocol::acceptor control_;
  boost::asio::steady_timer watchdog_;
  std::shared_ptr<const DnsIndex> index_;
  std::map<IpAddress, std::shared_ptr<Listener>> listeners_;
  uint16_t port_ = 0;
  uint32_t rotate_ = 0;
};

}  // namespace berth::network
