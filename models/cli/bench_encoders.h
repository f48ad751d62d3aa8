// `inst3d bench encoders` (reached through `inst3d bench encoders ...`).
#pragma once
#include <string>
#include <vector>

#include "core/cli/command.h"

namespace inst3d {

int runBenchEncoders(const std::vector<std::string>& argv);

}  // namespace inst3d
