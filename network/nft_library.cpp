#include "network/nft_library.hpp"

#include <dlfcn.h>

#include "base/error.hpp"

namespace berth::network {
namespace {

constexpr const char* kSoname = "libnftables.so.1";

template <typename Fn>
void resolve(void* handle, Fn& fn, const char* name) {
  fn = reinterpret_cast<Fn>(dlsym(handle, name));
  if (!fn) throw SysError(ENOENT, "dlsym", std::string(name) + " in " + kSoname);
}

NftLibrary load() {
  // Never closed: the library stays for the life of the process, as a linked one would.
  void* handle = dlopen(kSoname, RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw SysError(ENOENT, "dlopen", dlerror());
  NftLibrary lib;
  resolve(handle, lib.ctx_new, "nft_ctx_new");
  resolve(handle, lib.ctx_free, "nft_ctx_free");
  resolve(handle, lib.ctx_buffer_output, "nft_ctx_buffer_output");
  resolve(handle, lib.ctx_buffer_error, "nft_ctx_buffer_error");
  resolve(handle, lib.ctx_get_output_buffer, "nft_ctx_get_output_buffer");
  resolve(handle, lib.ctx_get_error_buffer, "nft_ctx_get_error_buffer");
  resolve(handle, lib.run_cmd_from_buffer, "nft_run_cmd_from_buffer");
  return lib;
}

}  // namespace

const NftLibrary& nft_library() {
  static const NftLibrary lib = load();
  return lib;
}

}  // namespace berth::network
