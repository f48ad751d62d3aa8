#include "models/weights/torch_runtime.h"

#include <dlfcn.h>
#include <sched.h>
#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "core/common/error.h"

namespace inst3d {

namespace {

std::string gThreadSource = "LibTorch's default";  // until applyDefaultThreads / setThreads

int positiveCountFromEnv(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v) return 0;
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    if (*end != '\0' || n < 1) fail("", std::string("$") + name + "='" + v + "' is not a thread count >= 1");
    return int(n);
}

// The first mapped shared object of this process whose file name looks like a BLAS.
std::string mappedBlasPath() {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        const size_t slash = line.find('/');
        if (slash == std::string::npos) continue;
        const std::string path = line.substr(slash);
        const std::string base = path.substr(path.rfind('/') + 1);
        if (base.find("blas") != std::string::npos || base.find("blis") != std::string::npos ||
            base.find("mkl_") != std::string::npos)
            return path;
    }
    return "";
}

// OpenBLAS and BLIS report themselves through exported functions; look them up in the loaded objects.
template <typename Fn>
Fn symbol(const char* name) {
    return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

std::string openblasName() {
    auto config = symbol<const char* (*)()>("openblas_get_config");
    auto parallel = symbol<int (*)()>("openblas_get_parallel");
    std::string name = "OpenBLAS";
    if (config) {  // "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64": keep name + version
        const std::string c = config();
        const size_t sp = c.find(' ', c.find(' ') + 1);
        name = c.substr(0, sp);
    }
    if (parallel) {
        const int p = parallel();
        name += p == 2 ? " (openmp)" : p == 1 ? " (pthreads)" : " (sequential)";
    }
    return name;
}

void describeBlas(CpuRuntime& r) {
    r.blasPath = mappedBlasPath();
    if (r.blasPath.find("openblas") != std::string::npos || symbol<void*>("openblas_get_config")) {
        r.blas = openblasName();
    } else if (r.blasPath.find("blis") != std::string::npos) {
        auto version = symbol<const char* (*)()>("bli_info_get_version_str");
        r.blas = std::string("BLIS") + (version ? std::string(" ") + version() : "");
    } else if (r.blasPath.find("mkl") != std::string::npos) {
        r.blas = "Intel MKL";
    } else if (r.blasPath.find("/blas/") != std::string::npos) {
        r.blas = "reference BLAS (netlib)";
        r.referenceBlas = true;
    } else if (r.blasPath.empty()) {
        r.blas = "none loaded as a shared library (built into this LibTorch)";
    } else {
        r.blas = "unknown BLAS";
    }
}

}  // namespace

int cpusAvailableToProcess() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    return std::max(1, CPU_COUNT(&set));
}

void applyDefaultThreads() {
    static bool applied = false;
    if (applied) return;
    applied = true;
    if (int n = positiveCountFromEnv("INST3D_THREADS")) {
        torch::set_num_threads(n);
        gThreadSource = "from $INST3D_THREADS";
    } else if (positiveCountFromEnv("OMP_NUM_THREADS")) {
        gThreadSource = "from $OMP_NUM_THREADS";  // LibTorch already took it
    } else {
        torch::set_num_threads(cpusAvailableToProcess());
        gThreadSource = "all CPUs this process may use";
    }
}

void setThreads(int n) {
    if (n < 1) fail("", "--threads must be >= 1 (given " + std::to_string(n) + ")");
    torch::set_num_threads(n);
    gThreadSource = "from --threads";
}

CpuRuntime describeCpuRuntime() {
    CpuRuntime r;
    describeBlas(r);
    r.threads = torch::get_num_threads();
    r.cpusAvailable = cpusAvailableToProcess();
    r.threadSource = gThreadSource;
    return r;
}

std::string cpuRuntimeLine() {
    const CpuRuntime r = describeCpuRuntime();
    std::string line = "BLAS: " + r.blas + (r.blasPath.empty() ? "" : " [" + r.blasPath + "]") + "; " +
                       std::to_string(r.threads) + " intra-op thread(s) (" + r.threadSource + "), " +
                       std::to_string(r.cpusAvailable) + " CPU(s) available";
    if (r.referenceBlas)
        line += "\nWARNING: the netlib reference BLAS is 15-30x slower than an optimised one; install "
                "libopenblas0-openmp (tools/setup.sh does), which takes over libblas.so.3";
    return line;
}

}  // namespace inst3d
