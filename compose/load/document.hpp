// One project file read the way compose reads it, before merging with the others: YAML, Fig's
// top-level services moved under `services:`, interpolation, schema validation, relative paths
// made absolute, `include:` resolved.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "compose/tree.hpp"

namespace berth::compose::load {

struct DocumentContext {
    std::map<std::string, std::string> env;  // for interpolation
    bool interpolate = true;
    bool resolve_paths = true;  // false: relative paths kept as written (`config --no-path-resolution`)
    std::string home;
    std::string stdin_content;  // for "-"
    bool stdin_given = false;
    // The files whose `include:` led to the one being read (canonical paths): a file met again
    // is an include cycle, refused instead of recursing until the stack overflows.
    std::vector<std::string> include_chain;
};

// `base_dir`: what relative paths in this file are relative to (the project directory).
Node read_document(const std::string& file, const DocumentContext& ctx, const std::filesystem::path& base_dir);

// Reads `.env`-style files into `env` without overriding what is already set (the process
// environment wins over files).
void add_env_files(std::map<std::string, std::string>& env, const std::vector<std::string>& files);

}  // namespace berth::compose::load
