// `inst3d bench encoders` and `inst3d bench machine` (reached through `inst3d bench ...`).
#pragma once
#include <string>
#include <vector>

#include "core/cli/command.h"

namespace inst3d {

int runBenchEncoders(const std::vector<std::string>& argv);
// `inst3d bench` / `inst3d bench machine`: BLAS, threads and the matmul rate.
int runBenchMachine(const std::vector<std::string>& argv);

}  // namespace inst3d
