// The training layer's verbs: `inst3d train` and `inst3d eval`.
#pragma once
#include "core/cli/command.h"

namespace inst3d {

void registerTrainingCommands(CommandRegistry& registry);

}  // namespace inst3d
