#include "engine/runtime/device_filter.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace berth::engine {
namespace {

bpf_insn insn(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off, std::int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

bpf_insn ldx_w(std::uint8_t dst, std::uint8_t src, std::int16_t off) { return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0); }
bpf_insn alu32_imm(std::uint8_t op, std::uint8_t dst, std::int32_t imm) { return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm); }
bpf_insn mov32_reg(std::uint8_t dst, std::uint8_t src) { return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn mov64_imm(std::uint8_t dst, std::int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn jne_imm(std::uint8_t dst, std::int32_t imm) { return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, 0, imm); }
bpf_insn jne_reg(std::uint8_t dst, std::uint8_t src) { return insn(BPF_JMP | BPF_JNE | BPF_X, dst, src, 0, 0); }
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

long sys_bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof attr); }

UniqueFd open_cgroup(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open cgroup", dir.string());
  return fd;
}

std::vector<std::uint32_t> query(int cgroup_fd, const std::filesystem::path& dir) {
  std::vector<std::uint32_t> ids(64);
  bpf_attr attr{};
  attr.query.target_fd = static_cast<std::uint32_t>(cgroup_fd);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = reinterpret_cast<std::uint64_t>(ids.data());
  attr.query.prog_cnt = static_cast<std::uint32_t>(ids.size());
  if (sys_bpf(BPF_PROG_QUERY, attr) != 0) throw_errno("bpf(BPF_PROG_QUERY, BPF_CGROUP_DEVICE)", dir.string());
  ids.resize(attr.query.prog_cnt);
  return ids;
}

UniqueFd load(const std::vector<bpf_insn>& prog, const std::filesystem::path& dir) {
  static const char license[] = "Apache";
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<std::uint64_t>(prog.data());
  attr.insn_cnt = static_cast<std::uint32_t>(prog.size());
  attr.license = reinterpret_cast<std::uint64_t>(license);
  UniqueFd fd(static_cast<int>(sys_bpf(BPF_PROG_LOAD, attr)));
  if (fd) return fd;
  int err = errno;
  // Ask again with the verifier's log, for the message.
  std::string log(64 * 1024, '\0');
  attr.log_level = 1;
  attr.log_buf = reinterpret_cast<std::uint64_t>(log.data());
  attr.log_size = static_cast<std::uint32_t>(log.size());
  UniqueFd again(static_cast<int>(sys_bpf(BPF_PROG_LOAD, attr)));
  if (again) return again;
  log.resize(std::strlen(log.c_str()));
  while (!log.empty() && log.back() == '\n') log.pop_back();
  throw_sys(err, "bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE)",
            "device policy of " + dir.string() + (log.empty() ? "" : " (verifier: " + log + ")"));
}

}  // namespace

std::vector<bpf_insn> device_filter_program(const std::vector<DeviceRule>& rules) {
  // r2 = device type (BPF_DEVCG_DEV_*), r3 = access (BPF_DEVCG_ACC_*), r4 = major, r5 = minor.
  std::vector<bpf_insn> p = {
      ldx_w(2, 1, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu32_imm(BPF_AND, 2, 0xFFFF),
      ldx_w(3, 1, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu32_imm(BPF_RSH, 3, 16),
      ldx_w(4, 1, offsetof(bpf_cgroup_dev_ctx, major)),
      ldx_w(5, 1, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  for (auto r = rules.rbegin(); r != rules.rend(); ++r) {
    std::vector<bpf_insn> block;
    if (r->type != 'a') block.push_back(jne_imm(2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    std::int32_t access = 0;
    for (char c : r->access)
      access |= c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : c == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
    if (access != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)) {
      // The rule covers the request only when every requested access is in the rule.
      block.push_back(mov32_reg(1, 3));
      block.push_back(alu32_imm(BPF_AND, 1, access));
      block.push_back(jne_reg(1, 3));
    }
    if (r->major >= 0) block.push_back(jne_imm(4, static_cast<std::int32_t>(r->major)));
    if (r->minor >= 0) block.push_back(jne_imm(5, static_cast<std::int32_t>(r->minor)));
    bool unconditional = block.empty();
    block.push_back(mov64_imm(0, r->allow ? 1 : 0));
    block.push_back(exit_insn());
    // Every conditional jump goes past the end of the block: to the next rule.
    for (std::size_t i = 0; i < block.size(); ++i)
      if (BPF_CLASS(block[i].code) == BPF_JMP && BPF_OP(block[i].code) == BPF_JNE)
        block[i].off = static_cast<std::int16_t>(block.size() - i - 1);
    p.insert(p.end(), block.begin(), block.end());
    // A rule matching everything decides alone: what would follow is dead code, which the
    // verifier refuses ("unreachable insn").
    if (unconditional) return p;
  }
  p.push_back(mov64_imm(0, 0));  // no rule matched: deny
  p.push_back(exit_insn());
  return p;
}

void attach_device_filter(const std::filesystem::path& cgroup_dir, const std::vector<DeviceRule>& rules) {
  UniqueFd cg = open_cgroup(cgroup_dir);
  std::vector<std::uint32_t> old = query(cg.get(), cgroup_dir);
  UniqueFd prog = load(device_filter_program(rules), cgroup_dir);

  bpf_attr attr{};
  attr.target_fd = static_cast<std::uint32_t>(cg.get());
  attr.attach_bpf_fd = static_cast<std::uint32_t>(prog.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf(BPF_PROG_ATTACH, attr) != 0) throw_errno("bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE)", cgroup_dir.string());

  // Now that the new policy is in force, the previous ones go: the kernel allows only what every
  // attached program allows, so an old one left attached would deny what the new one adds.
  for (std::uint32_t id : old) {
    bpf_attr get{};
    get.prog_id = id;
    UniqueFd old_fd(static_cast<int>(sys_bpf(BPF_PROG_GET_FD_BY_ID, get)));
    if (!old_fd) {
      if (errno == ENOENT) continue;  // gone meanwhile
      throw_errno("bpf(BPF_PROG_GET_FD_BY_ID)", cgroup_dir.string() + " program " + std::to_string(id));
    }
    bpf_attr detach{};
    detach.target_fd = static_cast<std::uint32_t>(cg.get());
    detach.attach_bpf_fd = static_cast<std::uint32_t>(old_fd.get());
    detach.attach_type = BPF_CGROUP_DEVICE;
    if (sys_bpf(BPF_PROG_DETACH, detach) != 0 && errno != ENOENT)
      throw_errno("bpf(BPF_PROG_DETACH, BPF_CGROUP_DEVICE)", cgroup_dir.string() + " program " + std::to_string(id));
  }
}

std::vector<std::uint32_t> attached_device_programs(const std::filesystem::path& cgroup_dir) {
  UniqueFd cg = open_cgroup(cgroup_dir);
  return query(cg.get(), cgroup_dir);
}

}  // namespace berth::engine
