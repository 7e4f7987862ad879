// The network of RUN steps: by default a bridge of the build ("berth-build") with an address, a
// default route and masquerading out, the embedded DNS and extra hosts; `--network none|host`
// and `RUN --network=` per step; nothing of the network left once the build ended, also when a
// step failed. The bridge test runs berth in a network namespace (and a private mount namespace
// for berth's host-wide sysctl record) of the test's own, beside another namespace standing for
// a machine outside, joined by a veth pair: no packet leaves the namespaces the test made.
#include <unistd.h>

#include "network/naming.hpp"
#include "tests/integration/build/build_fixture.hpp"

namespace berth::test {
namespace {

using BuildNetworkTest = BuildTest;

// The word after `key` in the step's output ("" when none); not in the step's title, where a
// `$(` follows the key.
std::string after(const std::string& text, const std::string& key) {
  for (auto p = text.find(key); p != std::string::npos; p = text.find(key, p + 1)) {
    auto v = p + key.size();
    if (text.compare(v, 2, "$(") == 0 || text.compare(v, 1, "\"") == 0) continue;
    return text.substr(v, text.find_first_of(" /\n", v) - v);
  }
  return "";
}

// Interface names in `ip -o link` output.
std::vector<std::string> link_names(const std::string& text) {
  std::vector<std::string> out;
  std::regex re(R"(^\d+: ([^:@ ]+)[:@])");
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, re)) out.push_back(m[1]);
  }
  return out;
}

TEST_F(BuildNetworkTest, DefaultRunIsOnABridgeWithNatDnsAndExtraHostsAndLeavesNothing) {
  write("Dockerfile",
        "FROM berth-test/busybox\n"
        "RUN echo \"addr=$(ip -o -4 addr show eth0 | awk '{print $4}')\"; ip route; "
        "echo links=$(ls /sys/class/net | tr '\\n' ,); cat /etc/resolv.conf /etc/hosts; "
        "echo \"dns=$(nslookup probe.test 2>&1 | tr '\\n' ' ')\"; "
        "echo \"got=$(printf 'GET /hello.txt HTTP/1.0\\r\\n\\r\\n' | nc -w 5 198.18.0.2 8080 | tail -n 1)\"; sleep 2\n");
  fs::create_directories(dir_ / "www");
  std::ofstream(dir_ / "www" / "hello.txt") << "hello-from-outside\n";
  std::string ns = "bto" + std::to_string(::getpid());
  std::string d = dir_.string();
  std::ofstream(dir_ / "net.sh")
      << "ip link set lo up\n"
         "echo ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)\n"  // a new namespace inherits the host's
         // berth records the ip_forward it changes host-wide: keep this namespace's record apart.
         "mkdir -p /run/berth-net && mount -t tmpfs tmpfs /run/berth-net || exit 90\n"
         // The outside machine: a namespace held by a `sleep` (no file of it anywhere).
         "unshare --net sleep 120 & out=$!\n"
         "for i in $(seq 100); do [ \"$(readlink /proc/$out/ns/net)\" != \"$(readlink /proc/self/ns/net)\" ] && break; sleep 0.02; done\n"
         "ip link add " << ns << " type veth peer name eth0 netns $out || exit 92\n"
         "ip addr add 198.18.0.1/24 dev " << ns << " && ip link set " << ns << " up\n"
         "nsenter -t $out -n sh -c 'ip addr add 198.18.0.2/24 dev eth0 && ip link set eth0 up && ip link set lo up'\n"
         // It has no route back to the build subnet: only a masqueraded connection can be
         // answered. Its web server logs the client's address.
         "nsenter -t $out -n busybox httpd -f -v -p 198.18.0.2:8080 -h " << d << "/www 2> " << d << "/httpd.log &\n"
         "srv=$!\n"
         "BERTH_DNS_UPSTREAMS=127.0.0.1:1 " << berth_cmd() << "image build --progress plain --add-host db.test:192.0.2.77 "
         "--add-host gw.test:host-gateway '" << ctx_.string() << "' > " << d << "/build.log 2>&1 &\n"
         "b=$!\n"
         // While the step runs: the bridge's tables, with the loopback guard.
         "for i in $(seq 200); do nft list tables | grep -q 'inet berth-brt-' && break; sleep 0.05; done\n"
         "t=$(nft list tables | grep -o 'berth-brt-[0-9a-f]*' | head -1)\n"
         "nft list table inet $t > " << d << "/guard.txt 2>&1; nft list table bridge $t >> " << d << "/guard.txt 2>&1\n"
         "wait $b; echo \"build=$?\"\n"
         "kill $srv; wait $srv\n"
         "ip -o link > " << d << "/links-after.txt; nft list tables > " << d << "/tables-after.txt\n"
         "echo ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)\n"
         "kill $out; wait $out; exit 0\n";
  std::string out;
  ASSERT_EQ(run_command("unshare --net --mount --propagation private sh " + d + "/net.sh", &out), 0) << out;
  auto read = [&](const char* f) {
    std::ifstream in(dir_ / f);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  std::string log = read("build.log");
  ASSERT_NE(out.find("build=0"), std::string::npos) << out << log;

  // eth0 with an address of a berth subnet (10.200.0.0/14), the gateway its default route, the
  // embedded DNS on it as the nameserver, its own address and the extra hosts in /etc/hosts.
  std::string addr = after(log, "addr=");
  ASSERT_EQ(addr.rfind("10.20", 0), 0u) << log;
  std::string gw = after(log, "default via ");
  ASSERT_FALSE(gw.empty()) << log;
  EXPECT_EQ(gw.substr(0, gw.rfind('.')), addr.substr(0, addr.rfind('.'))) << log;
  EXPECT_NE(log.find("links=eth0,lo,"), std::string::npos) << log;
  EXPECT_NE(log.find("nameserver " + gw + "\n"), std::string::npos) << log;
  EXPECT_NE(log.find(addr + "\t"), std::string::npos) << log;
  EXPECT_NE(log.find("192.0.2.77\tdb.test"), std::string::npos) << log;
  EXPECT_NE(log.find(gw + "\tgw.test"), std::string::npos) << log;
  // The embedded DNS answers on the gateway (for a name its upstream cannot resolve: SERVFAIL).
  auto dns_at = log.find("dns=Server:");
  ASSERT_NE(dns_at, std::string::npos) << log;
  std::string dns = log.substr(dns_at, log.find('\n', dns_at) - dns_at);
  EXPECT_NE(dns.find(gw + ":53"), std::string::npos) << dns;
  EXPECT_NE(dns.find("SERVFAIL"), std::string::npos) << dns;
  // Out through the bridge, masqueraded: the server saw the host's address, not the step's.
  EXPECT_NE(log.find("got=hello-from-outside"), std::string::npos) << log;
  std::string served = read("httpd.log");
  EXPECT_NE(served.find("198.18.0.1:"), std::string::npos) << served;
  EXPECT_EQ(served.find(addr), std::string::npos) << served;
  // The guard every berth bridge has: nothing from 127.0.0.0/8, ports pinned.
  std::string guard = read("guard.txt");
  EXPECT_NE(guard.find("chain loopback"), std::string::npos) << guard;
  EXPECT_NE(guard.find("127.0.0.0/8"), std::string::npos) << guard;
  EXPECT_NE(guard.find("table bridge"), std::string::npos) << guard;

  // Nothing left: no bridge, veth or nft table; ip_forward as it was before (berth set it to 1).
  for (const auto& l : link_names(read("links-after.txt")))
    EXPECT_TRUE(l == "lo" || l == ns) << "link " << l << " left";
  EXPECT_EQ(read("tables-after.txt"), "");
  std::string before = after(out, "ip_forward="), now = after(out.substr(out.find("build=")), "ip_forward=");
  EXPECT_FALSE(before.empty()) << out;
  EXPECT_EQ(now, before) << out;
}

TEST_F(BuildNetworkTest, NoneHasLoopbackOnlyHostSharesTheHostsAndStepsChooseTheirOwn) {
  write("Dockerfile",
        "FROM berth-test/busybox\n"
        "RUN echo \"default=$(ls /sys/class/net | tr '\\n' ,)\"\n"
        "RUN --network=none echo \"none=$(ip -o link | awk -F': ' '{print $2}' | tr '\\n' ,)\"; cat /etc/hosts\n"
        "RUN --network=host echo \"host=$(ip -o link | awk -F': ' '{print $2}' | cut -d@ -f1 | tr '\\n' ,)\"\n");
  std::string out, host_links;
  ASSERT_EQ(build("--no-cache --add-host db.test:192.0.2.77", &out), 0) << out;
  EXPECT_NE(out.find("default=eth0,lo,"), std::string::npos) << out;
  EXPECT_NE(out.find("none=lo,\n"), std::string::npos) << out;
  EXPECT_NE(out.find("192.0.2.77\tdb.test"), std::string::npos) << out;  // whatever the network
  run_command("ip -o link | awk -F': ' '{print $2}' | cut -d@ -f1 | tr '\\n' ,", &host_links);
  // The host's interfaces (taken just before and after, as another test may add one meanwhile).
  std::string host = after(out, "host=");
  for (const auto& l : {"lo", "eth0"}) {
    if (host_links.find(std::string(l) + ",") != std::string::npos) {
      EXPECT_NE(host.find(std::string(l) + ","), std::string::npos) << out << host_links;
    }
  }
  EXPECT_NE(host, "lo,") << out;

  // --network none: every step without a network, unless it asks for one.
  write("Dockerfile",
        "FROM berth-test/busybox\n"
        "RUN echo \"none=$(ls /sys/class/net | tr '\\n' ,)\"\n"
        "RUN --network=default echo \"default=$(ls /sys/class/net | tr '\\n' ,)\"\n");
  ASSERT_EQ(build("--no-cache --network none", &out), 0) << out;
  EXPECT_NE(out.find("none=lo,\n"), std::string::npos) << out;
  EXPECT_NE(out.find("default=eth0,lo,"), std::string::npos) << out;
}

TEST_F(BuildNetworkTest, AFailingStepOnTheBridgeLeavesNoNetworkAndABadHostIsOneError) {
  write("Dockerfile", "FROM berth-test/busybox\nRUN ip -o -4 addr show eth0 && exit 3\n");
  std::string out;
  ASSERT_NE(build("", &out), 0) << out;
  EXPECT_NE(out.find("inet 10.20"), std::string::npos) << out;
  EXPECT_NE(out.find("exit code: 3"), std::string::npos) << out;
  // (TearDown checks that the bridge and its tables are gone.)
  ASSERT_NE(build("--add-host nocolon", &out), 0);
  EXPECT_NE(out.find("--add-host: extra_hosts: invalid entry \"nocolon\""), std::string::npos) << out;
  EXPECT_EQ(out.find("RUN"), std::string::npos) << "no step runs:\n" << out;
}

}  // namespace
}  // namespace berth::test
