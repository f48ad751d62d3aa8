// inst3d: one executable, verbs registered by the libraries. No logic lives here.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "core/cli/command.h"
#include "core/common/error.h"
#ifdef INST3D_WITH_TORCH
#include "models/cli/model_commands.h"
#include "training/cli/train_commands.h"
#endif
#ifdef INST3D_WITH_GUI
#include "ui/ui_commands.h"
#endif

int main(int argc, char** argv) {
    inst3d::CommandRegistry registry;
    inst3d::registerCoreCommands(registry);
#ifdef INST3D_WITH_TORCH
    inst3d::registerModelCommands(registry);
    inst3d::registerTrainingCommands(registry);
#endif
#ifdef INST3D_WITH_GUI
    inst3d::registerUiCommands(registry);
#endif
    std::vector<std::string> args(argv + 1, argv + argc);
    return inst3d::runCommandLine(registry, args, argc > 0 ? argv[0] : "inst3d");
}
