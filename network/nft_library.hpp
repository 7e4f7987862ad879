#pragma once
// libnftables, loaded on first use. Only the network layer needs nftables, but linking it would
// make every berth process (config, ps, a no-op up) map and relocate libnftables and the five
// libraries it pulls in (libnftnl, libmnl, libxtables, libjansson, libgmp) at start-up.
#include <nftables/libnftables.h>

namespace berth::network {

struct NftLibrary {
  decltype(&::nft_ctx_new) ctx_new;
  decltype(&::nft_ctx_free) ctx_free;
  decltype(&::nft_ctx_buffer_output) ctx_buffer_output;
  decltype(&::nft_ctx_buffer_error) ctx_buffer_error;
  decltype(&::nft_ctx_get_output_buffer) ctx_get_output_buffer;
  decltype(&::nft_ctx_get_error_buffer) ctx_get_error_buffer;
  decltype(&::nft_run_cmd_from_buffer) run_cmd_from_buffer;
};

// The loaded library; throws SysError("dlopen"/"dlsym", ...) when it is missing.
const NftLibrary& nft_library();

}  // namespace berth::network
