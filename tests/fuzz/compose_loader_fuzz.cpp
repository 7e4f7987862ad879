// libFuzzer target: the project-file loader must turn ANY input into a Project or a clean
// exception (ConfigError/UserError/...), never crash, hang or leak. The input is the project
// file read from "-" (stdin), in a scratch project directory with a fixed environment, so that
// relative paths (env_file, extends, include) stay inside that directory.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>

#include "compose/load.hpp"

namespace {

// Made at the first input, removed at exit.
struct ScratchDir {
    std::string path;
    ScratchDir() : path((std::filesystem::temp_directory_path() / "berth-fuzz-XXXXXX").string()) {
        if (!mkdtemp(path.data())) std::abort();
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

const std::string& scratch_dir() {
    static const ScratchDir dir;
    return dir.path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace berth::compose;
    LoadOptions o;
    o.files = {"-"};
    o.stdin_content.assign(reinterpret_cast<const char*>(data), size);
    o.working_dir = scratch_dir();
    o.project_directory = scratch_dir();
    o.project_name = "fuzz";
    o.env = std::map<std::string, std::string>{{"HOME", "/nonexistent"}, {"TAG", "1.0"}, {"EMPTY", ""}};
    try {
        Project p = load_project(o);
        (void)to_json(p, 2);
        (void)to_yaml(p);
        for (const auto& [name, s] : p.services) (void)config_hash(s);
    } catch (const std::exception&) {
        // Rejecting bad input with an exception is the expected outcome.
    }
    return 0;
}
