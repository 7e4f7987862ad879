// DNS lookup latency: sends N A queries for NAME to SERVER:53 over UDP one after another (each
// waits for its answer) and prints the median, p90 and max round trip in microseconds, and how
// many answers had an address. Run inside a container's network namespace (nsenter --net=...).
//   dns_bench SERVER NAME N
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

std::vector<unsigned char> query(uint16_t id, const std::string& name) {
  std::vector<unsigned char> q = {static_cast<unsigned char>(id >> 8), static_cast<unsigned char>(id), 0x01, 0x00,
                                  0, 1, 0, 0, 0, 0, 0, 0};  // RD, one question
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<unsigned char>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  q.insert(q.end(), {0, 0, 1, 0, 1});  // root, type A, class IN
  return q;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: dns_bench SERVER NAME N\n");
    return 2;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(53);
  if (::inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) return 2;
  int n = std::atoi(argv[3]);
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return perror("socket"), 1;
  std::vector<double> us;
  int answered = 0, lost = 0;
  for (int i = 0; i < n; ++i) {
    auto q = query(static_cast<uint16_t>(i), argv[2]);
    auto t0 = std::chrono::steady_clock::now();
    if (::send(fd, q.data(), q.size(), 0) < 0) return perror("send"), 1;
    unsigned char buf[1500];
    ssize_t got = -1;
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 1000) > 0) {
      got = ::recv(fd, buf, sizeof buf, 0);
      if (got >= 12 && buf[0] == q[0] && buf[1] == q[1]) break;
      got = -1;
    }
    auto t1 = std::chrono::steady_clock::now();
    if (got < 12) {
      ++lost;
      continue;
    }
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    int rcode = buf[3] & 0x0f, ancount = buf[6] << 8 | buf[7];
    if (rcode == 0 && ancount > 0) ++answered;
  }
  if (us.empty()) return std::fprintf(stderr, "no answers\n"), 1;
  std::sort(us.begin(), us.end());
  std::printf("queries %d answered_with_address %d lost %d median_us %.1f p90_us %.1f max_us %.1f\n", n, answered,
              lost, us[us.size() / 2], us[us.size() * 9 / 10], us.back());
  return answered == n ? 0 : 1;
}
