// Shared by the libFuzzer targets (tests/fuzz, docs/reliability.md "Fuzzing"): the readers under test
// take a path, so each input is written to one file per process (in /dev/shm when there is one: the
// disk is never the bottleneck) and the reader opens it. A reader may answer with inst3d::Error or
// UsageError: that is the clean refusal the CLI prints. Any other exception escapes and libFuzzer
// records it as a crash, as it does ASan's and UBSan's reports.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

#include "core/common/error.h"

namespace inst3d::fuzz {

// One file per process and extension (a target may read the same bytes as two formats).
inline const std::string& inputPath(const char* extension) {
    static std::map<std::string, std::string> paths;
    std::string& path = paths[extension];
    if (path.empty()) {
        const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        path = std::string(dir) + "/inst3d-fuzz-" + std::to_string(getpid()) + extension;
    }
    return path;
}

inline void writeInput(const std::string& path, const uint8_t* data, size_t size) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) __builtin_trap();  // the harness itself failed: stop, do not report inputs as clean
    if (size && std::fwrite(data, 1, size, f) != size) __builtin_trap();
    std::fclose(f);
}

// Runs `read(path)` on the input; the expected refusals are swallowed.
template <typename Reader>
int readAsFile(const uint8_t* data, size_t size, const char* extension, Reader read) {
    const std::string& path = inputPath(extension);
    writeInput(path, data, size);
    try {
        read(path);
    } catch (const Error&) {
    } catch (const UsageError&) {
    }
    return 0;
}

}  // namespace inst3d::fuzz
