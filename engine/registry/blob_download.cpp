// Resumable, verified blob downloads into the image store.
#include "engine/registry/blob_download.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/log.hpp"
#include "base/sha256.hpp"
#include "base/unique_fd.hpp"

namespace berth::engine::registry {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kWritebackStep = 8u << 20;

void write_all(int fd, const char* p, std::size_t n, const fs::path& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw_errno("write", path.string());
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

// Hashes the first `len` bytes already in the partial file (a resumed download continues the hash).
void hash_prefix(int fd, std::uint64_t len, Sha256& h, const fs::path& path) {
  std::vector<char> buf(1 << 20);
  std::uint64_t off = 0;
  while (off < len) {
    ssize_t n = ::pread(fd, buf.data(), std::min<std::uint64_t>(buf.size(), len - off), static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read", path.string());
    }
    if (n == 0) throw UserError(path.string() + ": shorter than expected");
    h.update(buf.data(), static_cast<std::size_t>(n));
    off += static_cast<std::uint64_t>(n);
  }
}

void truncate_to(int fd, std::uint64_t len, const fs::path& path) {
  if (::ftruncate(fd, static_cast<off_t>(len)) != 0) throw_errno("ftruncate", path.string());
  if (::lseek(fd, static_cast<off_t>(len), SEEK_SET) < 0) throw_errno("lseek", path.string());
}

// Opens and locks the partial file, making sure the locked inode is still the one at `path`
// (another process may have renamed it into the store while we waited).
UniqueFd open_locked(const fs::path& path) {
  for (;;) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) throw_errno("open", path.string());
    if (::flock(fd.get(), LOCK_EX) != 0) throw_errno("flock", path.string());
    struct stat a {}, b {};
    if (::fstat(fd.get(), &a) != 0) throw_errno("fstat", path.string());
    if (::stat(path.c_str(), &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) return fd;
  }
}

}  // namespace

fs::path partial_blob_path(const ImageStore& store, const std::string& digest) {
  return store.dir() / "tmp" / ("pull-" + digest.substr(7) + ".partial");
}

std::uint64_t download_blob(RegistrySession& session, const std::string& repo, const Descriptor& d, ImageStore& store,
                            const BlobProgress& progress, const std::atomic<bool>* stop) {
  if (store.has_blob(d.digest)) return 0;
  fs::path part = partial_blob_path(store, d.digest);
  fs::create_directories(part.parent_path());
  UniqueFd fd = open_locked(part);
  if (store.has_blob(d.digest)) {  // another pull finished it while we waited
    ::unlink(part.c_str());
    return 0;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("fstat", part.string());
  std::uint64_t off = static_cast<std::uint64_t>(st.st_size);
  if (off > d.size) off = 0;
  bool may_restart = off > 0;  // a bad resumed file gets one fresh download
  Sha256 hash;
  hash_prefix(fd.get(), off, hash, part);
  truncate_to(fd.get(), off, part);
  if (off > 0) {
    log::debug("blob {}: resuming at {} of {} bytes", d.digest, off, d.size);
    if (progress.resumed) progress.resumed(off);
  }
  std::uint64_t fetched = 0;
  int failures = 0;
  auto last_report = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  Url url = session.url("/v2/" + repo + "/blobs/" + d.digest);
  for (;;) {
    while (off < d.size) {
      if (stop && stop->load()) throw UserError("pull cancelled");
      HttpRequest req{"GET", url, {}, {}, {}};
      if (off > 0) req.headers.emplace_back("Range", "bytes=" + std::to_string(off) + "-");
      std::uint64_t start_off = off;
      req.on_head = [&](const HttpResponse& head) {
        if (head.status == 200 && off > 0) {  // the server ignored the Range: start over
          log::debug("blob {}: registry ignored the Range request; downloading it whole", d.digest);
          truncate_to(fd.get(), 0, part);
          off = 0;
          hash = Sha256();
        } else if (head.status == 206) {
          std::string cr = head.header("content-range").value_or("");
          if (!cr.starts_with("bytes " + std::to_string(off) + "-"))
            throw UserError("blob " + d.digest + ": registry answered Range bytes=" + std::to_string(off) +
                            "- with Content-Range \"" + cr + "\"");
        }
      };
      std::uint64_t written_back = off;
      auto sink = [&](const char* p, std::size_t n) {
        if (stop && stop->load()) throw UserError("pull cancelled");
        if (off + n > d.size) {
          truncate_to(fd.get(), 0, part);
          throw UserError("blob " + d.digest + " is larger than the " + std::to_string(d.size) +
                          " bytes its manifest says; nothing was stored");
        }
        write_all(fd.get(), p, n, part);
        hash.update(p, n);
        off += n;
        if (off - written_back >= kWritebackStep) {  // the disk works while the rest arrives
          start_writeback(fd.get(), written_back, off - written_back);
          written_back = off;
        }
        fetched += n;
        auto now = std::chrono::steady_clock::now();
        if (progress.bytes && (now - last_report > std::chrono::milliseconds(100) || off == d.size)) {
          last_report = now;
          progress.bytes(off, d.size);
        }
      };
      try {
        HttpResponse res = session.send(req, sink);
        if (res.status == 416 && off > 0) {  // our partial is no prefix the server knows: restart
          truncate_to(fd.get(), 0, part);
          off = 0;
          hash = Sha256();
          continue;
        }
        if (res.status == 404)
          throw UserError("blob " + d.digest + " not found in " + session.registry() + "/" + repo + " (" +
                          registry_error_text(res) + ")");
        if (res.status != 200 && res.status != 206)
          throw UserError("downloading blob " + d.digest + ": " + registry_error_text(res));
        if (off < d.size)
          throw UserError("blob " + d.digest + ": registry sent " + std::to_string(off) + " of " +
                          std::to_string(d.size) + " bytes");
      } catch (const TransportError& e) {
        if (e.kind() != TransportError::Kind::Io && e.kind() != TransportError::Kind::Connect) throw;
        failures = off > start_off ? 1 : failures + 1;
        if (failures > 3) throw;
        log::debug("blob {}: {}; retrying from byte {}", d.digest, e.what(), off);
        std::this_thread::sleep_for(std::chrono::milliseconds(200 * failures));
        if (off > 0 && progress.resumed) progress.resumed(off);
      }
    }
    std::string got = hash.digest();
    if (got == d.digest) break;
    truncate_to(fd.get(), 0, part);
    if (may_restart) {  // the earlier partial may have been damaged: one clean try
      log::debug("blob {}: resumed download does not verify; downloading it again", d.digest);
      may_restart = false;
      off = 0;
      hash = Sha256();
      continue;
    }
    ::unlink(part.c_str());
    throw UserError("blob " + d.digest + " from " + session.registry() + "/" + repo +
                    " is corrupt: its content hashes to " + got + "; nothing was stored");
  }
  if (::fsync(fd.get()) != 0) throw_errno("fsync", part.string());
  fs::path final_path = store.blob_path(d.digest);
  if (::rename(part.c_str(), final_path.c_str()) != 0) throw_errno("rename", part.string() + " to " + final_path.string());
  return fetched;
}

std::string fetch_blob_bytes(RegistrySession& session, const std::string& repo, const Descriptor& d) {
  HttpResponse res = session.send(HttpRequest{"GET", session.url("/v2/" + repo + "/blobs/" + d.digest), {}, {}, {}});
  if (res.status == 404)
    throw UserError("blob " + d.digest + " not found in " + session.registry() + "/" + repo + " (" +
                    registry_error_text(res) + ")");
  if (res.status != 200) throw UserError("fetching blob " + d.digest + ": " + registry_error_text(res));
  std::string got = sha256_digest(res.body);
  if (got != d.digest || res.body.size() != d.size)
    throw UserError("blob " + d.digest + " from " + session.registry() + "/" + repo +
                    " is corrupt: its content hashes to " + got + "; nothing was stored");
  return res.body;
}

}  // namespace berth::engine::registry
