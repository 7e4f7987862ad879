// Content-addressed blobs: written to images/tmp while hashed, verified, renamed into
// blobs/sha256/<hex>. A blob is only ever visible under the name of what it hashes to.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "engine/image/image_store.hpp"
#include "engine/image/store_internal.hpp"

namespace berth::engine {

namespace fs = std::filesystem;

struct BlobWriter::State {
  fs::path blobs_dir;
  fs::path tmp_path;
  std::string expected;
  UniqueFd fd;
  Sha256 hash;
  std::uint64_t size = 0;
  bool committed = false;
  bool durable = true;  // fsync before the rename (ImageStore::defer_sync turns it off)
  std::string buf;  // coalesces small writes
  std::uint64_t written = 0, written_back = 0;

  void flush() {
    const char* p = buf.data();
    size_t left = buf.size();
    while (left > 0) {
      ssize_t n = ::write(fd.get(), p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("write", tmp_path.string());
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    written += buf.size();
    buf.clear();
    if (durable && written - written_back >= (8u << 20)) {  // committed with fsync: let the disk start now
      start_writeback(fd.get(), static_cast<long long>(written_back), static_cast<long long>(written - written_back));
      written_back = written;
    }
  }
  ~State() {
    if (!committed && !tmp_path.empty()) ::unlink(tmp_path.c_str());
  }
};

BlobWriter::BlobWriter(std::unique_ptr<State> s) : s_(std::move(s)) {}
BlobWriter::BlobWriter(BlobWriter&&) noexcept = default;
BlobWriter& BlobWriter::operator=(BlobWriter&&) noexcept = default;
BlobWriter::~BlobWriter() = default;

void BlobWriter::write(const void* data, std::size_t len) {
  s_->hash.update(data, len);
  s_->size += len;
  if (len >= (1u << 20)) {
    s_->flush();
    s_->buf.assign(static_cast<const char*>(data), len);
    s_->flush();
    return;
  }
  s_->buf.append(static_cast<const char*>(data), len);
  if (s_->buf.size() >= (1u << 20)) s_->flush();
}

std::uint64_t BlobWriter::size() const { return s_->size; }

std::string BlobWriter::commit() {
  s_->flush();
  std::string digest = s_->hash.digest();
  if (!s_->expected.empty() && digest != s_->expected)
    throw UserError("digest mismatch for blob " + s_->expected + ": content hashes to " + digest);
  if (s_->durable && ::fsync(s_->fd.get()) != 0) throw_errno("fsync", s_->tmp_path.string());
  s_->fd.reset();
  fs::path final_path = s_->blobs_dir / store::digest_hex(digest);
  if (::rename(s_->tmp_path.c_str(), final_path.c_str()) != 0)
    throw_errno("rename", s_->tmp_path.string() + " to " + final_path.string());
  s_->committed = true;
  return digest;
}

fs::path ImageStore::blob_path(std::string_view digest) const {
  return dir_ / "blobs" / "sha256" / store::digest_hex(digest);
}

bool ImageStore::has_blob(std::string_view digest) const {
  if (!store::is_digest(digest)) return false;
  struct stat st;
  return ::stat(blob_path(digest).c_str(), &st) == 0;
}

std::string ImageStore::read_blob(std::string_view digest) const {
  auto text = try_read_file(blob_path(digest));
  if (!text) throw UserError("image store: blob " + std::string(digest) + " is missing");
  return *text;
}

BlobWriter ImageStore::blob_writer(std::string_view expected_digest) {
  if (!expected_digest.empty()) store::digest_hex(expected_digest);  // validates
  auto s = std::make_unique<BlobWriter::State>();
  s->blobs_dir = dir_ / "blobs" / "sha256";
  s->expected = std::string(expected_digest);
  s->durable = sync_ == Sync::Yes;
  fs::create_directories(dir_ / "tmp");
  std::string tmpl = (dir_ / "tmp" / "blob-XXXXXX").string();
  int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) throw_errno("mkostemp", tmpl);
  ::fchmod(fd, 0644);
  s->fd.reset(fd);
  s->tmp_path = tmpl;
  return BlobWriter(std::move(s));
}

std::string ImageStore::put_blob(std::string_view data, std::string_view expected_digest) {
  std::string digest = sha256_digest(data);
  if (!expected_digest.empty() && digest != expected_digest)
    throw UserError("digest mismatch for blob " + std::string(expected_digest) + ": content hashes to " + digest);
  if (has_blob(digest)) return digest;
  auto w = blob_writer(digest);
  w.write(data);
  return w.commit();
}

void ImageStore::sync() const {
  UniqueFd fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno("open", dir_.string());
  if (::syncfs(fd.get()) != 0) throw_errno("syncfs", dir_.string());
}

}  // namespace berth::engine
