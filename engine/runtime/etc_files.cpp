// The files bind-mounted over /etc/hosts, /etc/hostname and /etc/resolv.conf of a container,
// kept in its runtime directory (runtime_internal.hpp).
#include "base/file_io.hpp"
#include "engine/runtime/runtime_internal.hpp"

namespace berth::engine::detail {

namespace {

std::string default_hosts(const std::string& hostname) {
  return "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
         "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n127.0.1.1\t" +
         hostname + "\n";
}

}  // namespace

void write_etc_files(const ContainerFiles& f, const ContainerInfo& info) {
  const ContainerSpec& spec = info.spec;
  std::string hostname = container_hostname(info);
  write_text(f.hosts(), spec.hosts_file.empty() ? default_hosts(hostname) : spec.hosts_file);
  write_text(f.hostname(), spec.hostname_file.empty() ? hostname + "\n" : spec.hostname_file);
  write_text(f.resolv_conf(), spec.resolv_conf.empty() ? try_read_file("/etc/resolv.conf").value_or("") : spec.resolv_conf);
}

}  // namespace berth::engine::detail
