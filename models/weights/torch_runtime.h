// What the CPU side of LibTorch runs on: the BLAS library this process loaded and the intra-op thread
// count. Debian's LibTorch calls libblas.so.3 through Debian's alternatives, which on a fresh machine is
// the netlib reference BLAS (~4 GFLOP/s on 2 cores, against ~126 GFLOP/s for OpenBLAS), and LibTorch
// picks one thread per physical core (1 on a 2-vCPU machine). Every neural verb therefore starts with
// applyDefaultThreads(), and every bench prints cpuRuntimeLine() so a slow machine says why.
#pragma once
#include <string>

namespace inst3d {

struct CpuRuntime {
    std::string blas;          // "OpenBLAS 0.3.21 (openmp)", "BLIS 0.9.0", "reference BLAS (netlib)", ...
    std::string blasPath;      // the mapped file, "" when none is loaded as a shared library
    bool referenceBlas = false;  // the slow netlib one
    int threads = 0;           // LibTorch's intra-op threads now
    int cpusAvailable = 0;     // CPUs this process may run on (sched_getaffinity)
    std::string threadSource;  // why `threads`: "from --threads", "from $INST3D_THREADS", "all CPUs this process may use", ...
};

// CPUs this process may use (its affinity mask), at least 1.
int cpusAvailableToProcess();

// The default intra-op thread count, in this order: $INST3D_THREADS, $OMP_NUM_THREADS (as LibTorch
// honours it), else every CPU this process may use. Applied once per process; a later
// setThreads(n) (a verb's --threads) overrides it. Error naming the variable when it is not a count >= 1.
void applyDefaultThreads();
void setThreads(int n);  // --threads; UsageError-free: throws inst3d::Error when n < 1

CpuRuntime describeCpuRuntime();
// One line for bench headers: "BLAS: OpenBLAS 0.3.21 (openmp) [/usr/lib/...]; 2 intra-op thread(s) (all
// CPUs this process may use), 2 CPU(s) available", with a warning and the fix when it is the reference BLAS.
std::string cpuRuntimeLine();
// `inst3d --version`'s line: "LibTorch 2.0.1; CUDA: not built in" (or "CUDA 12.1, 1 device(s)"), then the
// BLAS as cpuRuntimeLine names it.
std::string torchVersionLine();

}  // namespace inst3d
