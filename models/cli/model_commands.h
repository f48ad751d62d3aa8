// Verbs of the neural stack (they need only LibTorch, sentencepiece, yaml-cpp and nlohmann-json).
#pragma once
#include "core/cli/command.h"

namespace inst3d {
void registerModelCommands(CommandRegistry& registry);
}
