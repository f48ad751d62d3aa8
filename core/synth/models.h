// Furniture models built from boxes and cylinders, in a model frame: front faces +X, the footprint
// is centered on the origin (x = depth, y = width), the bottom is at z = 0.
#pragma once
#include <string>
#include <vector>

#include "core/common/math.h"
#include "core/synth/prng.h"
#include "core/synth/primitives.h"

namespace inst3d {

// A horizontal rectangle (model frame) where other objects can rest: a table top, a couch seat.
struct Surface {
    bool valid = false;
    double x0 = 0, x1 = 0, y0 = 0, y1 = 0, z = 0;
};

struct Model {
    std::string category;
    std::vector<Part> parts;
    int mainColor = 0;  // palette index
    Surface surface;
    AABB box() const;   // union of the parts
};

struct ModelStyle {
    bool small = false;    // the variant that stands on a support (table lamp, potted herb, small box)
    bool upright = false;  // pillow leaning against a couch back instead of lying on a bed
    bool tall = false;     // tall cabinet instead of a low one
};

// Builds `category` (one of the furniture names of synthCategories()) with main color `mainColor`.
Model buildModel(const std::string& category, SynthRng& rng, int mainColor, const ModelStyle& style = {});

// Palette indices a category is plausibly painted in (plants are green-ish, screens dark, ...).
std::vector<int> colorChoices(const std::string& category);
int paletteIndex(const std::string& name);  // throws std::out_of_range for an unknown name

// Keeps secondary parts (legs, handles, pots) in their own color only while the main color still
// owns most vertices and the object's mean color maps back to the main palette name.
void settleColors(Model& model, double vertexSpacing);

}  // namespace inst3d
