#pragma once
// Whole-file reads and atomic writes (temp file + fsync + rename), the only way berth writes state.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace berth {

std::string read_file(const std::filesystem::path& path);
// nullopt when the file does not exist; other failures throw.
std::optional<std::string> try_read_file(const std::filesystem::path& path);
// Writes `data` to a temp file beside `path`, fsyncs it (unless Sync::No) and renames it over
// `path`. Without the fsync the rename still makes the write atomic for a crashing process, not
// for a power loss: meant for state that describes what a reboot destroys anyway (running
// containers, kernel network objects) and is rewritten often. Sync::Started starts the writeback
// without waiting for it (sync_file_range): on disk within moments rather than at the next
// flush, for records on the path of a latency target whose loss a reader tolerates.
enum class Sync { Yes, Started, No };

// Asks the kernel to start writing [offset, offset + length) of fd to disk now, without waiting
// (sync_file_range WRITE). For data that will be fsync'ed later anyway: the disk then works
// while the program goes on, instead of all at the final sync. Best effort, errors ignored.
void start_writeback(int fd, long long offset, long long length);
void write_file_atomic(const std::filesystem::path& path, std::string_view data, unsigned mode = 0644,
                       Sync sync = Sync::Yes);

}  // namespace berth
