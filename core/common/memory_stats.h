// What the kernel says about this process's memory, for benchmarks.
#pragma once
#include <cstdint>

namespace inst3d {

// Peak resident set size of this process (VmHWM of /proc/self/status), in bytes; 0 without /proc.
int64_t peakResidentBytes();
// Memory the kernel could give this process now (MemAvailable of /proc/meminfo), in bytes; 0 without /proc.
int64_t availableMemoryBytes();

}  // namespace inst3d
