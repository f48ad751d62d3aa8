// Reads proposals for a loaded scene from any supported source, chosen by the path:
//   a .txt file or a folder holding <scene>.txt        Mask3D export (mask3d_export.h)
//   *_masks.pt, or a folder holding <scene>_masks.pt    OpenMask3D masks (torch_proposals.h)
//   another .pt/.pth, or a folder holding <scene>.pt or mask3d_inst_seg/<scene>.pt   Chat-Scene list
// The vertex count is the scene mesh's; every reader checks its masks against it.
#pragma once
#include <string>

#include "core/proposals/mask3d_export.h"

namespace inst3d {

struct Scene;

ProposalSet loadProposals(const std::string& path, const Scene& scene, const Mask3DReadOptions& options = {});

}  // namespace inst3d
