// How the viewer colors a scene. Kept free of VTK so the CLI and tests can parse and name modes.
#pragma once
#include <string>
#include <vector>

namespace inst3d {

enum class ColorMode {
    Rgb,        // the mesh's own vertex colors (neutral gray when the file has none)
    Instances,  // one distinct color per instance (Scene::instances), gray for unassigned vertices
    // Instance proposals (source Imported/BuiltIn/User) whose score reaches the threshold, colored
    // like Instances. A scene with no proposals (e.g. ground truth only) shows its ground truth here,
    // so the mode is never an empty gray picture.
    Proposals,
    // NYU40 class per vertex: the .labels.ply labels when the scene has them, else each instance's
    // label mapped to NYU40 through scannetv2-labels.combined.tsv; inst3d's NYU40 palette.
    Semantic,
};

const char* toString(ColorMode mode);               // "rgb", "instances": the CLI spelling
std::string displayName(ColorMode mode);            // "RGB", "Instances": menu text
ColorMode colorModeFromString(const std::string& name);  // throws Error naming the valid choices
const std::vector<ColorMode>& allColorModes();

}  // namespace inst3d
