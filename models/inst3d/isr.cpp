#include "models/inst3d/isr.h"

#include <torch/torch.h>

#include <cmath>

#include "models/inst3d/layers.h"

namespace inst3d {

namespace {

constexpr double kRangeEps = 1e-7;      // (c - min) / (max - min + eps), as Inst3D's get_min_max_coord users
constexpr double kPairwiseEps = 1e-10;  // vil3dref calc_pairwise_locs
constexpr double kLocFloor = 1e-6;      // log(clamp(loc, 1e-6)) in the `mul` fusion

// vil3dref MultiHeadAttentionSpatial (self-attention form): q = k = v = y [B, N, S].
at::Tensor spatialAttention(const Inst3dWeights& w, const std::string& p, const Inst3dConfig& c, const at::Tensor& y,
                            const at::Tensor& pairwise, const at::Tensor& invalid, bool train) {
    const int64_t B = y.size(0), N = y.size(1), S = y.size(2), h = c.spatialHeads, hd = S / h;
    auto heads = [&](const at::Tensor& x) { return x.view({B, N, h, hd}).permute({0, 2, 1, 3}); };  // [B, h, N, hd]
    at::Tensor q = heads(nn::linear(w, p + "w_qs", y)), k = heads(nn::linear(w, p + "w_ks", y));
    at::Tensor v = heads(nn::linear(w, p + "w_vs", y));
    at::Tensor attn = at::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(hd));                 // [B, h, N, N]
    at::Tensor loc = nn::linear(w, p + "pairwise_loc_fc", pairwise).permute({0, 3, 1, 2});        // [B, h, N, N]
    at::Tensor keyMask = invalid.view({B, 1, 1, N});
    attn = attn.masked_fill(keyMask, -INFINITY);
    at::Tensor weights;
    switch (c.spatialFusion) {
        case SpatialFusion::Mul:  // ReLU(loc) multiplies the attention: its log adds to the logits
            loc = at::relu(loc).masked_fill(keyMask, 0.0);
            weights = at::softmax(attn + at::log(at::clamp_min(loc, kLocFloor)), -1);
            break;
        case SpatialFusion::Bias:
            weights = at::softmax(attn + loc.masked_fill(keyMask, -INFINITY), -1);
            break;
        case SpatialFusion::Add:
            weights = (at::softmax(attn, -1) + at::softmax(loc.masked_fill(keyMask, -INFINITY), -1)) / 2;
            break;
    }
    at::Tensor o = at::matmul(weights, v).permute({0, 2, 1, 3}).reshape({B, N, S});                // [B, N, S]
    o = at::dropout(nn::linear(w, p + "fc", o), c.spatialDropout, train);
    return nn::layerNorm(w, p + "layer_norm", o + y);
}

// vil3dref TransformerSpatialDecoderLayer, pre-norm, without its cross-attention (Inst3D has no memory).
at::Tensor spatialLayer(const Inst3dWeights& w, const std::string& p, const Inst3dConfig& c, const at::Tensor& x,
                        const at::Tensor& pairwise, const at::Tensor& invalid, bool train) {
    const double d = c.spatialDropout;
    at::Tensor h = x + at::dropout(spatialAttention(w, p + "self_attn.", c, nn::layerNorm(w, p + "norm1", x), pairwise,
                                                    invalid, train), d, train);
    at::Tensor f = nn::linear(w, p + "linear2", at::dropout(at::gelu(nn::linear(w, p + "linear1", nn::layerNorm(w, p + "norm3", h))), d, train));
    return h + at::dropout(f, d, train);
}

}  // namespace

at::Tensor fourierPositions(const at::Tensor& gaussB, const at::Tensor& centers, const at::Tensor& valid) {
    at::Tensor v = valid.unsqueeze(-1);                                                         // [B, N, 1]
    at::Tensor lo = std::get<0>(centers.masked_fill(~v, INFINITY).min(1, true));               // [B, 1, 3]
    at::Tensor hi = std::get<0>(centers.masked_fill(~v, -INFINITY).max(1, true));              // [B, 1, 3]
    at::Tensor u = (centers - lo) / (hi - lo + kRangeEps);                                       // [B, N, 3]
    at::Tensor proj = at::matmul(2 * M_PI * u, gaussB);                                          // [B, N, S/2]
    return at::cat({at::sin(proj), at::cos(proj)}, -1);                                          // [B, N, S]
}

at::Tensor pairwiseFeatures(const at::Tensor& centers, const at::Tensor& valid) {
    const int64_t B = centers.size(0);
    at::Tensor d = centers.unsqueeze(2) - centers.unsqueeze(1);                                  // [B, N, N, 3]: c_i - c_j
    at::Tensor dist = at::sqrt((d * d).sum(-1) + kPairwiseEps);                                  // [B, N, N]
    at::Tensor d2 = d.narrow(-1, 0, 2);
    at::Tensor dist2d = at::sqrt((d2 * d2).sum(-1) + kPairwiseEps);
    at::Tensor pairValid = valid.unsqueeze(2) & valid.unsqueeze(1);                               // [B, N, N]
    at::Tensor maxDist = std::get<0>(dist.masked_fill(~pairValid, 0.0).view({B, -1}).max(1)).view({B, 1, 1});
    return at::stack({dist / maxDist, d.select(-1, 2) / dist, dist2d / dist, d.select(-1, 1) / dist2d,
                      d.select(-1, 0) / dist2d}, -1);                                            // [B, N, N, 5]
}

at::Tensor isrForward(const Inst3dWeights& w, const Inst3dConfig& c, const at::Tensor& f3s, const at::Tensor& f2s,
                      const at::Tensor& centers, const at::Tensor& valid, bool train) {
    const at::Tensor invalid = ~valid;
    at::Tensor x = nn::linear(w, "isr.scene_init_proj", f3s + nn::linear(w, "isr.img2obj_proj", f2s));    // [B, N, S]
    x = x + nn::linear(w, "isr.pos_proj", fourierPositions(w["isr.pos_embedding.gauss_B"], centers, valid));
    const at::Tensor pairwise = pairwiseFeatures(centers, valid);                                   // [B, N, N, 5]
    for (int i = 0; i < c.spatialLayers; ++i)
        x = spatialLayer(w, "isr.spatial." + std::to_string(i) + ".", c, x, pairwise, invalid, train);
    for (int i = 0; i < c.relationLayers; ++i)
        x = nn::encoderLayerPreNorm(w, "isr.relation.layers." + std::to_string(i) + ".", c.relationHeads, x, invalid,
                                    c.relationDropout, train);
    return x;                                                                                       // [B, N, S]
}

}  // namespace inst3d
