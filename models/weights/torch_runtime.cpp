#include "models/weights/torch_runtime.h"

#include <dlfcn.h>
#include <sched.h>
#include <torch/torch.h>

#include <climits>
#include <cstdlib>
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

// The shared object that serves sgemm_ to this process: the one LibTorch's fp32 matmuls run in. Looked up
// by symbol, not by file name: with Debian's alternatives, libblas.so.3 and liblapack.so.3 may come from
// different BLAS libraries (and OpenBLAS's liblapack exports OpenBLAS's own functions too).
std::string sgemmProvider() {
    void* fn = dlsym(RTLD_DEFAULT, "sgemm_");
    Dl_info info{};
    if (!fn || !dladdr(fn, &info) || !info.dli_fname) return "";
    char resolved[PATH_MAX];
    return realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
}

// A function exported by the object at `path` (already loaded: RTLD_NOLOAD), or null.
template <typename Fn>
Fn symbolIn(const std::string& path, const char* name) {
    void* handle = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    if (!handle) return nullptr;
    Fn fn = reinterpret_cast<Fn>(dlsym(handle, name));
    dlclose(handle);  // only drops the reference RTLD_NOLOAD took
    return fn;
}

std::string openblasName(const std::string& path) {
    auto config = symbolIn<const char* (*)()>(path, "openblas_get_config");
    auto parallel = symbolIn<int (*)()>(path, "openblas_get_parallel");
    std::string name = "OpenBLAS";
    if (config) {  // "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64": keep name + version
        const std::string c = config();
        name = c.substr(0, c.find(' ', c.find(' ') + 1));
    }
    if (parallel) {
        const int p = parallel();
        name += p == 2 ? " (openmp)" : p == 1 ? " (pthreads)" : " (sequential)";
    }
    return name;
}

void describeBlas(CpuRuntime& r) {
    r.blasPath = sgemmProvider();
    const std::string& p = r.blasPath;
    if (p.empty()) {
        r.blas = "none exported (sgemm_ built into this LibTorch, e.g. MKL in pip wheels)";
    } else if (symbolIn<void*>(p, "openblas_get_config")) {
        r.blas = openblasName(p);
    } else if (p.find("blis") != std::string::npos) {  // Debian's BLIS libblas.so.3 wraps libblis.so.4
        auto version = reinterpret_cast<const char* (*)()>(dlsym(RTLD_DEFAULT, "bli_info_get_version_str"));
        r.blas = std::string("BLIS") + (version ? std::string(" ") + version() : "") +
                 (p.find("openmp") != std::string::npos ? " (openmp)" : "");
    } else if (p.find("mkl") != std::string::npos) {
        r.blas = "Intel MKL";
    } else if (p.find("/blas/") != std::string::npos) {
        r.blas = "reference BLAS (netlib)";
        r.referenceBlas = true;
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

std::string torchVersionLine() {
    std::string cuda = "CUDA: not built in";
    if (at::hasCUDA())
        cuda = torch::cuda::is_available() ? "CUDA: " + std::to_string(torch::cuda::device_count()) + " device(s)"
                                           : "CUDA: built in, no device visible";
    const CpuRuntime rt = describeCpuRuntime();
    return std::string("LibTorch ") + TORCH_VERSION + "; " + cuda + "; BLAS: " + rt.blas;
}

}  // namespace inst3d
