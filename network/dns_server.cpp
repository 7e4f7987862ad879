#include "network/dns_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>

#include "base/error.hpp"
#include "base/file_io.hpp"

namespace berth::network {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;
using local_stream = asio::local::stream_protocol;

namespace {

constexpr uint32_t kTtl = 5;  // short: replicas come and go

asio::ip::address to_asio(const IpAddress& a) {
  if (a.is_v4()) {
    asio::ip::address_v4::bytes_type b;
    std::copy(a.bytes(), a.bytes() + 4, b.begin());
    return asio::ip::address_v4(b);
  }
  asio::ip::address_v6::bytes_type b;
  std::copy(a.bytes(), a.bytes() + 16, b.begin());
  return asio::ip::address_v6(b);
}

IpAddress from_asio(asio::ip::address a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    return IpAddress::from_bytes(IpAddress::Family::V4, b.data());
  }
  auto b = a.to_v6().to_bytes();
  return IpAddress::from_bytes(IpAddress::Family::V6, b.data());
}

// The listener address may not be configured yet (bridge being set up): bind anyway.
void set_freebind(int fd, bool v6) {
  int one = 1;
  if (v6)
    ::setsockopt(fd, IPPROTO_IPV6, 78 /* IPV6_FREEBIND */, &one, sizeof one);
  else
    ::setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
}

std::vector<uint8_t> with_length(const std::vector<uint8_t>& m) {
  std::vector<uint8_t> out;
  out.reserve(m.size() + 2);
  out.push_back(static_cast<uint8_t>(m.size() >> 8));
  out.push_back(static_cast<uint8_t>(m.size()));
  out.insert(out.end(), m.begin(), m.end());
  return out;
}

}  // namespace

struct DnsServer::Listener {
  Listener(asio::io_context& io, IpAddress a) : addr(a), udp_sock(io), tcp_acc(io) {}
  IpAddress addr;
  udp::socket udp_sock;
  tcp::acceptor tcp_acc;
  udp::endpoint sender;
  std::array<uint8_t, 4096> buf{};
  bool closed = false;
};

struct DnsServer::ControlSession : std::enable_shared_from_this<ControlSession> {
  explicit ControlSession(local_stream::socket s) : sock(std::move(s)) {}
  local_stream::socket sock;
  asio::streambuf in;
};

struct DnsServer::TcpSession : std::enable_shared_from_this<TcpSession> {
  TcpSession(tcp::socket s, IpAddress l) : sock(std::move(s)), local(l) {}
  tcp::socket sock;
  IpAddress local;
  std::array<uint8_t, 2> len{};
  std::vector<uint8_t> body;
};

DnsServer::DnsServer(asio::io_context& io, std::filesystem::path table_path, std::filesystem::path control_path)
    : io_(io), table_path_(std::move(table_path)), control_path_(std::move(control_path)), control_(io), watchdog_(io) {}

DnsServer::~DnsServer() = default;

void DnsServer::start() {
  // A live server already answering on the control socket owns this runtime dir.
  {
    local_stream::socket probe(io_);
    error_code ec;
    probe.connect(local_stream::endpoint(control_path_.string()), ec);
    if (!ec) throw UserError("a berth-dns server already runs for " + control_path_.string());
  }
  std::error_code fs_ec;
  std::filesystem::remove(control_path_, fs_ec);
  control_.open();
  control_.bind(local_stream::endpoint(control_path_.string()));
  control_.listen();
  std::string status = reload();
  if (status != "ok") std::fprintf(stderr, "berth-dns: %s\n", status.c_str());
  accept_control();
  watchdog();
}

std::string DnsServer::reload() {
  try {
    auto text = try_read_file(table_path_);
    auto table = text ? dns_table_from_json(*text) : DnsTable{};
    index_ = std::make_shared<const DnsIndex>(table);
    port_ = table.port;
  } catch (const std::exception& e) {
    return std::string("error ") + e.what();
  }
  return sync_listeners();
}

std::string DnsServer::sync_listeners() {
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    if (index_->listen_addresses().count(it->first)) {
      ++it;
      continue;
    }
    error_code ec;
    it->second->closed = true;
    it->second->udp_sock.close(ec);
    it->second->tcp_acc.close(ec);
    it = listeners_.erase(it);
  }
  std::string errors;
  for (const auto& addr : index_->listen_addresses()) {
    if (listeners_.count(addr)) continue;
    auto l = std::make_shared<Listener>(io_, addr);
    try {
      bool v6 = addr.is_v6();
      udp::endpoint uep(to_asio(addr), port_);
      l->udp_sock.open(uep.protocol());
      set_freebind(l->udp_sock.native_handle(), v6);
      l->udp_sock.bind(uep);
      tcp::endpoint tep(to_asio(addr), port_);
      l->tcp_acc.open(tep.protocol());
      set_freebind(l->tcp_acc.native_handle(), v6);
      l->tcp_acc.set_option(tcp::acceptor::reuse_address(true));
      l->tcp_acc.bind(tep);
      l->tcp_acc.listen();
    } catch (const boost::system::system_error& e) {
      errors += (errors.empty() ? "" : "; ") + std::string("listen on ") + addr.str() + ":" + std::to_string(port_) +
                ": " + e.code().message();
      continue;
    }
    listeners_[addr] = l;
    receive_udp(l);
    accept_tcp(l);
  }
  return errors.empty() ? "ok" : "error " + errors;
}

void DnsServer::receive_udp(const std::shared_ptr<Listener>& l) {
  l->udp_sock.async_receive_from(asio::buffer(l->buf), l->sender, [this, l](error_code ec, size_t n) {
    if (l->closed || ec == asio::error::operation_aborted) return;
    if (!ec) {
      std::vector<uint8_t> msg(l->buf.begin(), l->buf.begin() + static_cast<long>(n));
      udp::endpoint to = l->sender;
      handle(std::move(msg), from_asio(to.address()), l->addr, false, [l, to](std::vector<uint8_t> reply) {
        if (l->closed) return;
        error_code ignored;
        l->udp_sock.send_to(asio::buffer(reply), to, 0, ignored);
      });
    }
    receive_udp(l);
  });
}

void DnsServer::accept_tcp(const std::shared_ptr<Listener>& l) {
  l->tcp_acc.async_accept([this, l](error_code ec, tcp::socket sock) {
    if (l->closed || ec == asio::error::operation_aborted) return;
    if (!ec) {
      auto s = std::make_shared<TcpSession>(std::move(sock), l->addr);
      auto read_one = std::make_shared<std::function<void()>>();
      *read_one = [this, s, read_one] {
        asio::async_read(s->sock, asio::buffer(s->len), [this, s, read_one](error_code ec1, size_t) {
          if (ec1) return;
          s->body.resize(static_cast<size_t>(s->len[0] << 8 | s->len[1]));
          asio::async_read(s->sock, asio::buffer(s->body), [this, s, read_one](error_code ec2, size_t) {
            if (ec2) return;
            error_code peer_ec;
            auto peer = s->sock.remote_endpoint(peer_ec);
            if (peer_ec) return;
            handle(s->body, from_asio(peer.address()), s->local, true, [s, read_one](std::vector<uint8_t> reply) {
              auto framed = std::make_shared<std::vector<uint8_t>>(with_length(reply));
              asio::async_write(s->sock, asio::buffer(*framed), [s, framed, read_one](error_code ec3, size_t) {
                if (!ec3) (*read_one)();
                else *read_one = nullptr;  // break the cycle
              });
            });
          });
        });
      };
      (*read_one)();
    }
    accept_tcp(l);
  });
}

void DnsServer::handle(std::vector<uint8_t> msg, const IpAddress& source, const IpAddress& local, bool tcp,
                       Reply reply) {
  auto q = dns::parse_query(msg);
  if (!q) {
    if (auto err = dns::make_format_error(msg.data(), msg.size())) reply(*err);
    return;
  }
  if (!q->is_query()) return;
  if (q->opcode() != 0) return reply(dns::make_empty_answer(msg, *q, dns::kNotImp));
  auto index = index_;  // this query is answered from this table, whatever reloads meanwhile
  if (q->qclass == dns::kClassIN && (q->qtype == dns::kTypeA || q->qtype == dns::kTypeAAAA)) {
    auto ans = index->resolve(q->name, q->qtype == dns::kTypeAAAA, source, local);
    if (ans.found) {
      if (ans.addresses.size() > 1) {  // round-robin over replicas
        auto shift = static_cast<long>(rotate_++ % ans.addresses.size());
        std::rotate(ans.addresses.begin(), ans.addresses.begin() + shift, ans.addresses.end());
      }
      return reply(dns::make_address_answer(msg, *q, ans.addresses, kTtl));
    }
  }
  if (q->qclass == dns::kClassIN && q->qtype == dns::kTypePTR) {
    if (auto addr = dns::parse_reverse_name(q->name))
      if (auto name = index->reverse(*addr, source, local)) return reply(dns::make_ptr_answer(msg, *q, *name, kTtl));
  }
  auto upstreams = index->upstreams_for(source, local);
  if (upstreams.empty()) return reply(dns::make_empty_answer(msg, *q, dns::kServFail));
  if (tcp)
    forward_tcp(std::move(msg), std::move(upstreams), 0, std::move(reply), *q);
  else
    forward_udp(std::move(msg), std::move(upstreams), 0, std::move(reply), *q);
}

void DnsServer::forward_udp(std::vector<uint8_t> msg, std::vector<std::string> upstreams, size_t next, Reply reply,
                            const dns::Query& q) {
  if (next >= upstreams.size()) return reply(dns::make_empty_answer(msg, q, dns::kServFail));
  struct State {
    State(asio::io_context& io) : sock(io), timer(io) {}
    udp::socket sock;
    asio::steady_timer timer;
    std::array<uint8_t, 65536> buf{};
    bool done = false;
  };
  auto st = std::make_shared<State>(io_);
  auto fail_over = [this, st, msg, upstreams, next, reply, q]() {
    if (st->done) return;
    st->done = true;
    error_code ignored;
    st->timer.cancel();
    st->sock.close(ignored);
    forward_udp(msg, upstreams, next + 1, reply, q);
  };
  try {
    auto [addr, port] = parse_upstream(upstreams[next]);
    udp::endpoint ep(to_asio(addr), port);
    st->sock.open(ep.protocol());
    st->sock.connect(ep);
    st->sock.send(asio::buffer(msg));
  } catch (const std::exception&) {
    return fail_over();
  }
  st->timer.expires_after(forward_timeout);
  st->timer.async_wait([fail_over](error_code ec) {
    if (!ec) fail_over();
  });
  auto receive = std::make_shared<std::function<void()>>();
  *receive = [st, reply, q, fail_over, receive] {
    st->sock.async_receive(asio::buffer(st->buf), [st, reply, q, fail_over, receive](error_code ec, size_t n) {
      if (st->done) return;
      if (ec) return fail_over();
      // Ignore stray datagrams; a reply must carry the query's id.
      if (n < 12 || (st->buf[0] << 8 | st->buf[1]) != q.id) return (*receive)();
      st->done = true;
      st->timer.cancel();
      reply(std::vector<uint8_t>(st->buf.begin(), st->buf.begin() + static_cast<long>(n)));
      *receive = nullptr;
    });
  };
  (*receive)();
}

void DnsServer::forward_tcp(std::vector<uint8_t> msg, std::vector<std::string> upstreams, size_t next, Reply reply,
                            const dns::Query& q) {
  if (next >= upstreams.size()) return reply(dns::make_empty_answer(msg, q, dns::kServFail));
  struct State {
    State(asio::io_context& io) : sock(io), timer(io) {}
    tcp::socket sock;
    asio::steady_timer timer;
    std::vector<uint8_t> out;
    std::array<uint8_t, 2> len{};
    std::vector<uint8_t> body;
    bool done = false;
  };
  auto st = std::make_shared<State>(io_);
  st->out = with_length(msg);
  auto fail_over = [this, st, msg, upstreams, next, reply, q]() {
    if (st->done) return;
    st->done = true;
    error_code ignored;
    st->timer.cancel();
    st->sock.close(ignored);
    forward_tcp(msg, upstreams, next + 1, reply, q);
  };
  tcp::endpoint ep;
  try {
    auto [addr, port] = parse_upstream(upstreams[next]);
    ep = tcp::endpoint(to_asio(addr), port);
  } catch (const std::exception&) {
    return fail_over();
  }
  st->timer.expires_after(forward_timeout);
  st->timer.async_wait([fail_over](error_code ec) {
    if (!ec) fail_over();
  });
  st->sock.async_connect(ep, [st, reply, fail_over](error_code ec) {
    if (st->done) return;
    if (ec) return fail_over();
    asio::async_write(st->sock, asio::buffer(st->out), [st, reply, fail_over](error_code ec1, size_t) {
      if (st->done) return;
      if (ec1) return fail_over();
      asio::async_read(st->sock, asio::buffer(st->len), [st, reply, fail_over](error_code ec2, size_t) {
        if (st->done) return;
        if (ec2) return fail_over();
        st->body.resize(static_cast<size_t>(st->len[0] << 8 | st->len[1]));
        asio::async_read(st->sock, asio::buffer(st->body), [st, reply, fail_over](error_code ec3, size_t) {
          if (st->done) return;
          if (ec3) return fail_over();
          st->done = true;
          st->timer.cancel();
          reply(st->body);
        });
      });
    });
  });
}

void DnsServer::accept_control() {
  control_.async_accept([this](error_code ec, local_stream::socket sock) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      auto s = std::make_shared<ControlSession>(std::move(sock));
      asio::async_read_until(s->sock, s->in, '\n', [this, s](error_code ec1, size_t) {
        if (ec1) return;
        std::istream is(&s->in);
        std::string cmd;
        std::getline(is, cmd);
        std::string answer;
        bool stop = false;
        if (cmd == "reload") {
          answer = reload();
          if (index_->network_count() == 0) {
            answer = "ok exit";
            stop = true;
          }
        } else if (cmd == "ping") {
          answer = "pong " + std::to_string(::getpid());
        } else {
          answer = "error unknown command";
        }
        auto out = std::make_shared<std::string>(answer + "\n");
        asio::async_write(s->sock, asio::buffer(*out), [this, s, out, stop](error_code, size_t) {
          if (stop) {
            std::error_code fs_ec;
            std::filesystem::remove(control_path_, fs_ec);
            io_.stop();
          }
        });
      });
    }
    accept_control();
  });
}

void DnsServer::watchdog() {
  // If the runtime dir vanished (a test's temp dir removed, a crashed manager cleaned up), nobody
  // can reach or stop this server any more: exit rather than linger.
  watchdog_.expires_after(std::chrono::seconds(2));
  watchdog_.async_wait([this](error_code ec) {
    if (ec) return;
    if (!std::filesystem::exists(control_path_) || !std::filesystem::exists(table_path_)) {
      std::fprintf(stderr, "berth-dns: control socket or table gone, exiting\n");
      io_.stop();
      return;
    }
    watchdog();
  });
}

}  // namespace berth::network
