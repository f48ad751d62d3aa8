// 3D-ISR, 3D Instance Spatial Relation (docs/model.md step 6): the Fourier embedding of box centres,
// vil3dref's pairwise spatial features and spatial multi-head attention, the pre-norm relation encoder.
// Outputs one relation-aware scene token per object, at the 3D-ISR width.
#pragma once
#include "models/inst3d/weights.h"

namespace inst3d {

// Fourier position embedding [B, N, dim_scene] of centres [B, N, 3], each axis normalised to [0, 1] by
// the min / max over the scene's valid objects (3DETR's PositionEmbeddingCoordsSine, "fourier").
at::Tensor fourierPositions(const at::Tensor& gaussB, const at::Tensor& centers, const at::Tensor& valid);

// vil3dref calc_pairwise_locs ("center", 5 features) [B, N, N, 5]; the distance is normalised by the
// largest distance between two valid objects of the scene.
at::Tensor pairwiseFeatures(const at::Tensor& centers, const at::Tensor& valid);

// f3s [B, N, dim_3d], f2s [B, N, dim_2d] from MCMF; centres [B, N, 3]; valid [B, N] bool.
// Returns the relation encoder's output [B, N, dim_scene] (before scene_proj).
at::Tensor isrForward(const Inst3dWeights& w, const Inst3dConfig& c, const at::Tensor& f3s, const at::Tensor& f2s,
                      const at::Tensor& centers, const at::Tensor& valid, bool train);

}  // namespace inst3d
