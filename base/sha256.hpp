#pragma once
// Streaming SHA-256 (OpenSSL EVP) and "sha256:<hex>" digests as OCI uses them.
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace berth {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(const void* data, size_t len);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Lower-case hex of the digest; the hasher may not be updated afterwards.
  std::string hex();
  // "sha256:" + hex()
  std::string digest() { return "sha256:" + hex(); }

 private:
  struct CtxFree {
    void operator()(evp_md_ctx_st* c) const noexcept;
  };
  std::unique_ptr<evp_md_ctx_st, CtxFree> ctx_;
};

std::string sha256_hex(std::string_view data);
inline std::string sha256_digest(std::string_view data) { return "sha256:" + sha256_hex(data); }

}  // namespace berth
