#include "tests/integration/network/net_harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <stdexcept>

#include "base/netns.hpp"
#include "network/dns_message.hpp"
#include "network/netlink.hpp"
#include "network/nft.hpp"
#include "tests/support/test_image.hpp"

namespace berth::test {

using network::IpAddress;

std::string unique_tag() {
  static std::mt19937_64 rng(std::random_device{}() ^ static_cast<uint64_t>(::getpid()));
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 6; ++i) s += hex[rng() % 16];
  return s;
}

TempRoot::TempRoot() {
  char tmpl[] = "/tmp/berth-nettest-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir = tmpl;
  paths.root = dir / "root";
  paths.runtime = dir / "run";
  std::filesystem::create_directories(paths.root);
  std::filesystem::create_directories(paths.runtime);
}

TempRoot::~TempRoot() {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

NetnsBox::NetnsBox(const std::filesystem::path& p) : path(p) {
  std::filesystem::create_directories(path.parent_path());
  { UniqueFd f(::open(path.c_str(), O_CREAT | O_RDONLY | O_CLOEXEC, 0644)); }
  std::string error;
  // unshare(CLONE_NEWNET) in a thread moves only that thread; bind its namespace to the file.
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      error = std::string("unshare: ") + std::strerror(errno);
      return;
    }
    if (::mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) != 0)
      error = std::string("bind netns: ") + std::strerror(errno);
  });
  t.join();
  if (!error.empty()) throw std::runtime_error(error);
  fd = open_netns(path);
  // loopback up, as the runtime does
  network::Netlink::in_netns(fd.get()).set_up("lo");
}

NetnsBox::~NetnsBox() {
  fd.reset();
  ::umount2(path.c_str(), MNT_DETACH);
  ::unlink(path.c_str());
}

UniqueFd socket_in(const std::string& netns, int domain, int type) {
  if (netns.empty()) return UniqueFd(::socket(domain, type | SOCK_CLOEXEC, 0));
  UniqueFd ns = open_netns(netns);
  ScopedNetns enter(ns.get());
  return UniqueFd(::socket(domain, type | SOCK_CLOEXEC, 0));
}

namespace {

socklen_t make_sockaddr(const IpAddress& ip, uint16_t port, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (ip.is_v4()) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    std::memcpy(&sa->sin_addr, ip.bytes(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
  sa->sin6_family = AF_INET6;
  sa->sin6_port = htons(port);
  std::memcpy(&sa->sin6_addr, ip.bytes(), 16);
  return sizeof(sockaddr_in6);
}

bool wait_fd(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return ss.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port)
                                 : ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

}  // namespace

std::optional<std::string> tcp_fetch(const std::string& netns, const IpAddress& ip, uint16_t port, int timeout_ms,
                                     int* err) {
  UniqueFd fd = socket_in(netns, ip.is_v4() ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK);
  sockaddr_storage ss;
  socklen_t len = make_sockaddr(ip, port, ss);
  int rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len);
  if (rc != 0 && errno != EINPROGRESS) {
    if (err) *err = errno;
    return std::nullopt;
  }
  if (rc != 0) {
    if (!wait_fd(fd.get(), POLLOUT, timeout_ms)) {
      if (err) *err = ETIMEDOUT;
      return std::nullopt;
    }
    int so = 0;
    socklen_t sl = sizeof so;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so, &sl);
    if (so) {
      if (err) *err = so;
      return std::nullopt;
    }
  }
  std::string out;
  char buf[4096];
  while (wait_fd(fd.get(), POLLIN, timeout_ms)) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
  if (err) *err = ETIMEDOUT;
  return std::nullopt;
}

std::optional<std::string> udp_roundtrip(const std::string& netns, const IpAddress& ip, uint16_t port,
                                         const std::string& payload, int timeout_ms) {
  UniqueFd fd = socket_in(netns, ip.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM);
  sockaddr_storage ss;
  socklen_t len = make_sockaddr(ip, port, ss);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) return std::nullopt;
  if (::send(fd.get(), payload.data(), payload.size(), 0) < 0) return std::nullopt;
  if (!wait_fd(fd.get(), POLLIN, timeout_ms)) return std::nullopt;
  char buf[2048];
  ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

BannerServer::BannerServer(const std::string& netns, uint16_t port, std::string banner, bool udp,
                           const std::string& bind_ip)
    : banner_(std::move(banner)), udp_(udp) {
  IpAddress ip = bind_ip.empty() ? IpAddress::parse("::") : IpAddress::parse(bind_ip);
  sock_ = socket_in(netns, ip.is_v4() ? AF_INET : AF_INET6, udp ? SOCK_DGRAM : SOCK_STREAM);
  int one = 1, zero = 0;
  ::setsockopt(sock_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ip.is_v6()) ::setsockopt(sock_.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  sockaddr_storage ss;
  socklen_t len = make_sockaddr(ip, port, ss);
  if (::bind(sock_.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
    throw std::runtime_error(std::string("BannerServer bind: ") + std::strerror(errno));
  if (!udp && ::listen(sock_.get(), 64) != 0) throw std::runtime_error("listen");
  port_ = bound_port(sock_.get());
  thread_ = std::thread([this] {
    while (!stop_) {
      if (!wait_fd(sock_.get(), POLLIN, 50)) continue;
      if (udp_) {
        char buf[2048];
        sockaddr_storage from{};
        socklen_t fl = sizeof from;
        ssize_t n = ::recvfrom(sock_.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
        if (n < 0) continue;
        std::string reply = banner_ + std::string(buf, static_cast<size_t>(n));
        ::sendto(sock_.get(), reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), fl);
      } else {
        UniqueFd c(::accept4(sock_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!c) continue;
        [[maybe_unused]] auto n = ::write(c.get(), banner_.data(), banner_.size());
      }
    }
  });
}

BannerServer::~BannerServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

DnsResult dns_query(const std::string& netns, const IpAddress& server, const std::string& name, uint16_t qtype,
                    bool tcp, uint16_t port, int timeout_ms) {
  DnsResult r;
  static uint16_t next_id = 4242;
  uint16_t id = next_id++;
  auto q = network::dns::make_query(id, name, qtype);
  std::vector<uint8_t> reply(65536);
  size_t got = 0;
  UniqueFd fd = socket_in(netns, server.is_v4() ? AF_INET : AF_INET6, tcp ? SOCK_STREAM : SOCK_DGRAM);
  sockaddr_storage ss;
  socklen_t len = make_sockaddr(server, port, ss);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) return r;
  if (tcp) {
    std::vector<uint8_t> framed{static_cast<uint8_t>(q.size() >> 8), static_cast<uint8_t>(q.size())};
    framed.insert(framed.end(), q.begin(), q.end());
    if (::write(fd.get(), framed.data(), framed.size()) < 0) return r;
    std::vector<uint8_t> all;
    while (wait_fd(fd.get(), POLLIN, timeout_ms)) {
      uint8_t buf[4096];
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n <= 0) break;
      all.insert(all.end(), buf, buf + n);
      if (all.size() >= 2 && all.size() >= 2u + (all[0] << 8 | all[1])) break;
    }
    if (all.size() < 2) return r;
    got = std::min<size_t>(all.size() - 2, all[0] << 8 | all[1]);
    std::copy(all.begin() + 2, all.begin() + 2 + static_cast<long>(got), reply.begin());
  } else {
    if (::send(fd.get(), q.data(), q.size(), 0) < 0) return r;
    if (!wait_fd(fd.get(), POLLIN, timeout_ms)) return r;
    ssize_t n = ::recv(fd.get(), reply.data(), reply.size(), 0);
    if (n <= 0) return r;
    got = static_cast<size_t>(n);
  }
  auto resp = network::dns::parse_response(reply.data(), got);
  if (!resp || resp->id != id) return r;
  r.rcode = resp->rcode();
  for (const auto& rec : resp->answers) {
    if (auto a = rec.address()) r.addresses.push_back(*a);
    if (rec.type == network::dns::kTypePTR) r.ptr.emplace_back(rec.rdata.begin(), rec.rdata.end());
  }
  return r;
}

FakeUpstream::FakeUpstream() {
  udp_ = UniqueFd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_storage ss;
  socklen_t len = make_sockaddr(IpAddress::parse("127.0.0.1"), 0, ss);
  if (::bind(udp_.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) throw std::runtime_error("upstream bind");
  port_ = bound_port(udp_.get());
  tcp_ = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  len = make_sockaddr(IpAddress::parse("127.0.0.1"), port_, ss);
  if (::bind(tcp_.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(tcp_.get(), 16) != 0)
    throw std::runtime_error("upstream tcp bind");
  thread_ = std::thread([this] {
    auto answer = [this](const uint8_t* data, size_t n) -> std::vector<uint8_t> {
      ++queries_;
      std::vector<uint8_t> raw(data, data + n);
      auto q = network::dns::parse_query(raw);
      if (!q) return {};
      std::string name = q->name;
      if (name.size() > 14 && name.compare(name.size() - 14, 14, ".upstream.test") == 0 && q->qtype == network::dns::kTypeA)
        return network::dns::make_address_answer(raw, *q, {IpAddress::parse("198.51.100.7")}, 60);
      return network::dns::make_empty_answer(raw, *q, network::dns::kNxDomain);
    };
    while (!stop_) {
      pollfd p[2] = {{udp_.get(), POLLIN, 0}, {tcp_.get(), POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      if (p[0].revents & POLLIN) {
        uint8_t buf[4096];
        sockaddr_storage from{};
        socklen_t fl = sizeof from;
        ssize_t n = ::recvfrom(udp_.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
        if (n > 0) {
          auto out = answer(buf, static_cast<size_t>(n));
          ::sendto(udp_.get(), out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), fl);
        }
      }
      if (p[1].revents & POLLIN) {
        UniqueFd c(::accept4(tcp_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        uint8_t lenb[2];
        if (c && wait_fd(c.get(), POLLIN, 1000) && ::read(c.get(), lenb, 2) == 2) {
          std::vector<uint8_t> body(static_cast<size_t>(lenb[0] << 8 | lenb[1]));
          size_t got = 0;
          while (got < body.size() && wait_fd(c.get(), POLLIN, 1000)) {
            ssize_t n = ::read(c.get(), body.data() + got, body.size() - got);
            if (n <= 0) break;
            got += static_cast<size_t>(n);
          }
          auto out = answer(body.data(), got);
          std::vector<uint8_t> framed{static_cast<uint8_t>(out.size() >> 8), static_cast<uint8_t>(out.size())};
          framed.insert(framed.end(), out.begin(), out.end());
          [[maybe_unused]] auto w = ::write(c.get(), framed.data(), framed.size());
        }
      }
    }
  });
}

FakeUpstream::~FakeUpstream() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> host_links_with_prefix(const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& n : network::Netlink().link_names())
    if (n.rfind(prefix, 0) == 0) out.push_back(n);
  return out;
}

bool nft_table_exists(const std::string& table) {
  for (const auto& t : network::list_berth_tables())  // either family: inet (NAT) or bridge (guard)
    if (t.name == table) return true;
  return false;
}

bool process_alive(int pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

DummyInterface::DummyInterface(const std::string& n, const std::string& cidr) : name(n) {
  std::string out;
  // A veth pair rather than a dummy device: the dummy module is not available on every kernel.
  if (run_command("ip link add " + name + " type veth peer name " + name + "p && ip addr add " + cidr + " dev " + name + " && ip link set " +
                      name + " up",
                  &out) != 0)
    throw std::runtime_error("test interface " + name + ": " + out);
}

DummyInterface::~DummyInterface() { run_command("ip link del " + name); }

network::NetworkOptions test_options(const std::string& upstream) {
  network::NetworkOptions o;
  o.dns_upstreams = {upstream};
  o.dns_program = BERTH_BINARY_DIR "/berth-dns";
  return o;
}

}  // namespace berth::test
