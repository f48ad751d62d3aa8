#include "models/inst3d/mcmf.h"

#include <torch/torch.h>

#include <cmath>

#include "models/inst3d/layers.h"

namespace inst3d {

namespace {

// MCMF part 1: single-head attention over the objects' 2D features with a learnable global key / value
// prepended to the keys and values only (never masked), no residual.
at::Tensor attention2dWithGlobalToken(const Inst3dWeights& w, const at::Tensor& f2, const at::Tensor& invalid) {
    const std::string p = "mcmf.self_attn_2d.";
    const int64_t B = f2.size(0), D = f2.size(2);
    at::Tensor q = nn::linear(w, p + "query", f2);                                                    // [B, N, D]
    at::Tensor k = at::cat({w[p + "global_key"].expand({B, 1, D}), nn::linear(w, p + "key", f2)}, 1);   // [B, N+1, D]
    at::Tensor v = at::cat({w[p + "global_value"].expand({B, 1, D}), nn::linear(w, p + "value", f2)}, 1);
    at::Tensor keyMask = at::cat({at::zeros({B, 1}, invalid.options()), invalid}, 1);                  // [B, N+1]
    at::Tensor scores = at::matmul(q, k.transpose(1, 2)) / std::sqrt(double(D));                      // [B, N, N+1]
    scores = scores.masked_fill(keyMask.unsqueeze(1), -INFINITY);
    return nn::linear(w, p + "out", at::matmul(at::softmax(scores, -1), v));                          // [B, N, D]
}

// MCMF part 1 over views (view_fusion: views): the same layer, its sequence an object's crops instead
// of the scene's objects, then the mean of the outputs over the crops that exist. An object without a
// view gets zeros, as its mean crop feature is.
at::Tensor attention2dOverViews(const Inst3dWeights& w, const at::Tensor& crops, const at::Tensor& cropValid) {
    const int64_t B = crops.size(0), N = crops.size(1), C = crops.size(2), D = crops.size(3);
    at::Tensor perCrop = attention2dWithGlobalToken(w, crops.reshape({B * N, C, D}),
                                                    cropValid.reshape({B * N, C}).logical_not());   // [B*N, C, D]
    at::Tensor keep = cropValid.reshape({B * N, C, 1}).to(perCrop.dtype());                         // [B*N, C, 1]
    at::Tensor mean = (perCrop * keep).sum(1) / keep.sum(1).clamp_min(1.0);                        // [B*N, D]
    return mean.view({B, N, D});                                                                   // [B, N, D]
}

// MCMF part 2: 3D queries attend to the 2D features; the projected query is the residual.
at::Tensor crossAttention3dTo2d(const Inst3dWeights& w, const Inst3dConfig& c, const at::Tensor& f3s,
                                const at::Tensor& f2s, const at::Tensor& invalid) {
    const std::string p = "mcmf.cross_attn.";
    at::Tensor q = nn::linearNoBias(w, p + "query", f3s);   // [B, N, dim_3d]
    at::Tensor k = nn::mlp2(w, p + "key", f2s);             // [B, N, dim_3d]
    at::Tensor v = nn::mlp2(w, p + "value", f2s);           // [B, N, dim_3d]
    at::Tensor a = nn::multiheadAttention(w, p + "attn", c.mcmfHeads, q, k, v, invalid, 0.0, false);
    return nn::linear(w, p + "fc", a + q);                   // [B, N, dim_llm]
}

}  // namespace

void mcmfForward(const Inst3dWeights& w, const Inst3dConfig& c, const at::Tensor& f3, const Mcmf2dInput& in2d,
                 const at::Tensor& invalid, at::Tensor& f3s, at::Tensor& f2s, at::Tensor& fused) {
    f3s = nn::multiheadAttention(w, "mcmf.self_attn_3d", c.mcmfHeads, f3, f3, f3, invalid, 0.0, false);  // [B, N, dim_3d]
    f2s = c.viewFusion == ViewFusion::Views ? attention2dOverViews(w, in2d.crops, in2d.cropValid)         // [B, N, dim_2d]
                                            : attention2dWithGlobalToken(w, in2d.f2, invalid);
    if (c.mcmfResidual) {  // Inst3dConfig::mcmfResidual: each object keeps its own feature
        f3s = f3 + f3s;
        f2s = in2d.f2 + f2s;
    }
    fused = crossAttention3dTo2d(w, c, f3s, f2s, invalid);                                             // [B, N, dim_llm]
}

}  // namespace inst3d
