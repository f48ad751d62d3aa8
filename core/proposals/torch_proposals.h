// Proposals stored with torch.save, read without LibTorch through core/io/torch_pickle:
//   OpenMask3D  <scene>_masks.pt             a NumPy float16 array [N_vertices, N_masks] of 0/1
//                                            (class_agnostic_mask_computation/trainer/trainer.py)
//   Chat-Scene  mask3d_inst_seg/<scene>.pt   [{"label": str, "segments": [vertex index, ...]}, ...]
//                                            (preprocess/prepare_mask3d_data.py; "segments" are vertex
//                                            indices, the lines set to 1 in the Mask3D mask files)
// Neither file stores scores: every instance gets score 1 and keeps the file's order, which is Mask3D's
// descending-score order. Instance ids are the column / list positions.
#pragma once
#include <cstddef>
#include <string>

#include "core/proposals/proposal_set.h"

namespace inst3d {

// A vertex belongs to mask m when element [vertex, m] is nonzero (any float, int or bool dtype).
// Errors: not a 2-D array, row count != numVertices.
ProposalSet readOpenMask3DMasks(const std::string& path, size_t numVertices);

// Errors: root not a list, an item without "label"/"segments", a vertex index out of range.
ProposalSet readChatSceneInstSeg(const std::string& path, size_t numVertices);

}  // namespace inst3d
