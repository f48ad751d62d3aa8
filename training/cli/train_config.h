// The configuration of `inst3d train` / `inst3d eval`: resources/config/train/default.yaml, then
// --config FILE, then key=value overrides. A key the defaults do not have is an error naming it and
// where it came from (a typo would otherwise train with the default silently).
#pragma once
#include <string>
#include <vector>

#include "core/config/config.h"

namespace inst3d {

Config trainingConfig(const std::string& file, const std::vector<std::string>& overrides);

}  // namespace inst3d
