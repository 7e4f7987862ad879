// Which project files to read: -f, COMPOSE_FILE, or the first compose.yaml / docker-compose.yml /
// fig.yml ... found in the working directory or its parents, plus its override file.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace berth::compose::load {

// Absolute paths ("-" stays "-"). Throws UserError when nothing is found or a named file is missing.
std::vector<std::string> discover_files(const std::vector<std::string>& given, const std::filesystem::path& cwd,
                                        const std::map<std::string, std::string>& env);

}  // namespace berth::compose::load
