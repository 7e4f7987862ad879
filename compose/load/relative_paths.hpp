// Relative host paths (build contexts, bind sources, env_file, extends.file, secret/config files)
// are made absolute against the directory of the file that wrote them, before files are merged:
// a service taken from another folder by `extends` or `include` keeps its own meaning.
#pragma once

#include <filesystem>
#include <string>

#include "compose/tree.hpp"

namespace berth::compose::load {

// "./x", "../x", ".", "x" -> base/x ; "~/x" -> home/x ; absolute and URLs unchanged.
std::string resolve_host_path(const std::string& path, const std::filesystem::path& base, const std::string& home);

void resolve_service_paths(Node& service, const std::filesystem::path& base, const std::string& home);
// secrets.*.file, configs.*.file of a whole document, and every service.
void resolve_document_paths(Node& doc, const std::filesystem::path& base, const std::string& home);

}  // namespace berth::compose::load
