// `--proposals SPEC` of the extraction: where each scene's proposals come from.
//   gt            the scene's ground-truth instances (aggregation.json)
//   mask3d:PATH   imported proposals: a Mask3D export folder, OpenMask3D `<scene>_masks.pt` files or
//                 Chat-Scene `mask3d_inst_seg/<scene>.pt` files, resolved per scene (core/proposals/load_proposals.h)
//   builtin       the built-in class-agnostic segmenter (core/proposals/segmenter.h)
#pragma once
#include <string>

#include "core/features/extraction.h"

namespace inst3d {

// Sets options.proposals and options.proposalsName; throws UsageError-like Error for an unknown spec.
void setProposalSource(ExtractOptions& options, const std::string& spec);

}  // namespace inst3d
