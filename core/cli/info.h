// The scene summary printed by `inst3d info` and by `inst3d view` when there is no display.
#pragma once
#include <string>

#include "core/scene/scene.h"

namespace inst3d {

std::string describeScene(const Scene& scene);   // human-readable, several lines
std::string describeSceneJson(const Scene& scene); // the same facts as JSON (for scripts)

}  // namespace inst3d
