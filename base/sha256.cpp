#include "base/sha256.hpp"

#include "base/hex.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace berth {

void Sha256::CtxFree::operator()(evp_md_ctx_st* c) const noexcept { EVP_MD_CTX_free(c); }

namespace {
// Fetched once: with OpenSSL 3, initialising with EVP_sha256() looks the algorithm up in the
// provider store (under locks) at every digest, and berth makes one per blob, layer and file.
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md ? md : EVP_sha256();
}
}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), sha256_md(), nullptr) != 1)
    throw std::runtime_error("sha256: cannot initialise OpenSSL digest");
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t len) { EVP_DigestUpdate(ctx_.get(), data, len); }

std::string Sha256::hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_.get(), md, &len);
  return to_hex(md, len);
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex();
}

}  // namespace berth
