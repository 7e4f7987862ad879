#pragma once
// ADD's remote sources: a URL fetched over HTTP(S) (the registry client's HTTP stack: TLS
// verified, redirects followed) into a file, as Docker's ADD does (not extracted, mode 0600).
#include <filesystem>
#include <string>

namespace berth::builder {

// The file name ADD gives a URL's download: the last segment of its path ("" when none).
std::string url_file_name(const std::string& url);

// Downloads `url` into `file`; throws UserError naming the URL and the HTTP status or transport error.
void fetch_url(const std::string& url, const std::filesystem::path& file);

}  // namespace berth::builder
