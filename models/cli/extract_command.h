// `inst3d extract` (feature extraction over a folder of scenes) and `inst3d bench extract`: the CLI
// face of core/features/extraction.h with the Uni3D and CLIP encoders of models/vision.
#pragma once
#include <string>
#include <vector>

#include "core/cli/command.h"

namespace inst3d {

void registerExtractCommand(CommandRegistry& registry);
// `inst3d bench extract ...` (dispatched by the `bench` verb; args after "extract").
int runBenchExtract(const std::vector<std::string>& args);

}  // namespace inst3d
