#include "core/common/memory_stats.h"

#include <fstream>
#include <string>

namespace inst3d {

namespace {
// The "<key>:   1234 kB" line of a /proc file, in bytes.
int64_t procKilobytes(const char* file, const std::string& key) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key, 0) == 0) return std::stoll(line.substr(key.size())) * 1024;
    return 0;
}
}  // namespace

int64_t peakResidentBytes() { return procKilobytes("/proc/self/status", "VmHWM:"); }
int64_t availableMemoryBytes() { return procKilobytes("/proc/meminfo", "MemAvailable:"); }

}  // namespace inst3d
