// Small building blocks of the Inst3D model, each PyTorch's own semantics so the checkpoint names and
// numbers match torch.nn: Linear, the Linear-GELU-Linear projector, LayerNorm, nn.MultiheadAttention
// (packed in_proj, batch first, key padding mask), nn.TransformerEncoderLayer (norm_first).
// Weights are looked up by prefix in Inst3dWeights. <torch/torch.h> stays out.
#pragma once
#include <string>

#include "models/inst3d/weights.h"

namespace inst3d::nn {

at::Tensor linear(const Inst3dWeights& w, const std::string& prefix, const at::Tensor& x);   // prefix.weight/.bias
at::Tensor linearNoBias(const Inst3dWeights& w, const std::string& prefix, const at::Tensor& x);
// Sequential(Linear, GELU, Linear): prefix.0 and prefix.2.
at::Tensor mlp2(const Inst3dWeights& w, const std::string& prefix, const at::Tensor& x);
at::Tensor layerNorm(const Inst3dWeights& w, const std::string& prefix, const at::Tensor& x, double eps = 1e-5);

// nn.MultiheadAttention(batch_first=True): q [B, L, E], k / v [B, S, E], keyPadding [B, S] bool (true =
// ignore). Returns [B, L, E]. Dropout on the attention weights when train.
at::Tensor multiheadAttention(const Inst3dWeights& w, const std::string& prefix, int heads, const at::Tensor& q,
                              const at::Tensor& k, const at::Tensor& v, const at::Tensor& keyPadding,
                              double dropout, bool train);

// nn.TransformerEncoderLayer(norm_first=True, activation=relu, batch_first=True).
at::Tensor encoderLayerPreNorm(const Inst3dWeights& w, const std::string& prefix, int heads, const at::Tensor& x,
                               const at::Tensor& keyPadding, double dropout, bool train);

}  // namespace inst3d::nn
