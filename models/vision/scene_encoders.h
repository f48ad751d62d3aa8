// The encoders of feature extraction opened from their specs (what `inst3d extract --uni3d --clip` takes,
// and a model bundle's encoders.json): Uni3D behind core/features' PointEncoder, CLIP behind CropEncoder.
//   3D: "none", "random:<config>" (seeded random weights) or a safetensors file in Uni3D's released layout
//       with its size name (g l b s ti, tiny);
//   2D: "none", "random:tiny" or a CLIP folder (config.json + model.safetensors).
#pragma once
#include <memory>
#include <string>

#include "core/features/extraction.h"

namespace inst3d {

std::unique_ptr<PointEncoder> openPointEncoder(const std::string& spec, const std::string& configName,
                                               const std::string& device = "cpu");
std::unique_ptr<CropEncoder> openCropEncoder(const std::string& spec, const std::string& device = "cpu");

}  // namespace inst3d
