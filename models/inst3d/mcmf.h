// MCMF, Multi-view Cross-Modal Fusion (docs/model.md steps 2-4): instance-level 3D self-attention, the
// 2D attention with a learnable global key/value token, and the cross-attention from 3D queries to the
// 2D features, projected to the LLM width. All attention runs across the N objects of a scene.
#pragma once
#include "models/inst3d/weights.h"

namespace inst3d {

// The 2D input of MCMF: f2 [B, N, dim_2d] (L2-normalised mean crop feature) and, for
// view_fusion: views, every crop: crops [B, N, C, dim_2d] (L2-normalised), cropValid [B, N, C] bool.
struct Mcmf2dInput {
    at::Tensor f2, crops, cropValid;
};

// f3 [B, N, dim_3d] (L2-normalised), invalid [B, N] bool (true = not a key).
// Outputs: f3s [B, N, dim_3d] (3D self-attention), f2s [B, N, dim_2d] (2D with the global token),
// fused [B, N, dim_llm].
void mcmfForward(const Inst3dWeights& w, const Inst3dConfig& c, const at::Tensor& f3, const Mcmf2dInput& in2d,
                 const at::Tensor& invalid, at::Tensor& f3s, at::Tensor& f2s, at::Tensor& fused);

}  // namespace inst3d
