#include "engine/image/store_internal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <random>

#include "base/error.hpp"
#include "base/file_io.hpp"
#include "base/unique_fd.hpp"

namespace berth::engine::store {

bool is_digest(std::string_view s) {
  if (s.size() != 71 || !s.starts_with("sha256:")) return false;
  for (char c : s.substr(7))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string digest_hex(std::string_view digest) {
  if (!is_digest(digest)) throw UserError("invalid digest \"" + std::string(digest) + "\" (want sha256:<64 hex>)");
  return std::string(digest.substr(7));
}

fs::path make_temp_dir(const fs::path& images_dir, std::string_view purpose) {
  static std::atomic<unsigned> counter{0};
  std::random_device rd;
  fs::path tmp = images_dir / "tmp";
  fs::create_directories(tmp);
  for (;;) {
    fs::path p = tmp / (std::string(purpose) + "-" + std::to_string(::getpid()) + "-" +
                        std::to_string(counter++) + "-" + std::to_string(rd() % 100000));
    if (::mkdir(p.c_str(), 0700) == 0) return p;
    if (errno != EEXIST) throw_errno("mkdir", p.string());
  }
}

std::string rfc3339_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::map<std::string, std::string> read_refs(const fs::path& images_dir) {
  std::map<std::string, std::string> out;
  auto text = try_read_file(images_dir / "refs.json");
  if (!text) return out;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw UserError("image store: corrupt " + (images_dir / "refs.json").string());
  for (auto& [k, v] : j.items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

void write_refs(const fs::path& images_dir, const std::map<std::string, std::string>& refs) {
  write_file_atomic(images_dir / "refs.json", nlohmann::json(refs).dump(2) + "\n");
}

std::string sniff_compression(const fs::path& blob) {
  UniqueFd fd(::open(blob.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open", blob.string());
  unsigned char b[4] = {};
  ssize_t n = ::read(fd.get(), b, sizeof b);
  if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) return "gzip";
  if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) return "zstd";
  return "";
}

std::int64_t layer_size(const fs::path& images_dir, std::string_view chain_id) {
  if (!is_digest(chain_id)) return 0;
  auto text = try_read_file(images_dir / "layers" / std::string(chain_id.substr(7)) / "layer.json");
  if (!text) return 0;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  return j.is_object() ? j.value("size", std::int64_t{0}) : 0;
}

void remove_blob_if_unused(const fs::path& images_dir, std::string_view digest) {
  if (!is_digest(digest)) return;
  std::error_code ec;
  for (auto it = fs::directory_iterator(images_dir / "images", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    auto text = try_read_file(it->path());
    if (!text) continue;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object() || !j.contains("layers") || !j["layers"].is_array()) continue;
    for (auto& l : j["layers"])
      if (l.is_object() && l.value("digest", "") == digest) return;
  }
  fs::remove(images_dir / "blobs" / "sha256" / std::string(digest.substr(7)), ec);
}

std::map<std::string, int> container_image_use(const fs::path& state_root) {
  std::map<std::string, int> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(state_root / "containers", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    auto text = try_read_file(it->path() / "container.json");
    if (!text) continue;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_object() && j.contains("image_id") && j["image_id"].is_string()) ++out[j["image_id"].get<std::string>()];
  }
  return out;
}

}  // namespace berth::engine::store

#include <archive.h>
#include <archive_entry.h>

namespace berth::engine::store {

void decompress(int in_fd, const std::function<void(const void*, std::size_t)>& sink) {
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  archive_entry* e;
  if (archive_read_open_fd(a.get(), in_fd, 1 << 20) != ARCHIVE_OK || archive_read_next_header(a.get(), &e) != ARCHIVE_OK) {
    // libarchive's raw reader refuses an empty stream: that is an empty blob.
    return;
  }
  const void* buf;
  size_t size;
  la_int64_t off;
  for (;;) {
    int r = archive_read_data_block(a.get(), &buf, &size, &off);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) throw UserError(std::string("decompress: ") + archive_error_string(a.get()));
    sink(buf, size);
  }
}

}  // namespace berth::engine::store
