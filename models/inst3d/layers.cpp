#include "models/inst3d/layers.h"

#include <torch/torch.h>

#include <cmath>

namespace inst3d::nn {

at::Tensor linear(const Inst3dWeights& w, const std::string& p, const at::Tensor& x) {
    return at::linear(x, w[p + ".weight"], w[p + ".bias"]);
}

at::Tensor linearNoBias(const Inst3dWeights& w, const std::string& p, const at::Tensor& x) {
    return at::linear(x, w[p + ".weight"]);
}

at::Tensor mlp2(const Inst3dWeights& w, const std::string& p, const at::Tensor& x) {
    return linear(w, p + ".2", at::gelu(linear(w, p + ".0", x)));  // exact (erf) GELU, nn.GELU()
}

at::Tensor layerNorm(const Inst3dWeights& w, const std::string& p, const at::Tensor& x, double eps) {
    // fp32 even under bf16 autocast (LibTorch 1.13's CPU kernel refuses a bf16 input with fp32 weights;
    // CUDA autocast runs layer_norm in fp32 too).
    return at::layer_norm(x.to(at::kFloat), {x.size(-1)}, w[p + ".weight"], w[p + ".bias"], eps);
}

at::Tensor multiheadAttention(const Inst3dWeights& w, const std::string& p, int heads, const at::Tensor& q,
                              const at::Tensor& k, const at::Tensor& v, const at::Tensor& keyPadding,
                              double dropout, bool train) {
    const int64_t B = q.size(0), L = q.size(1), S = k.size(1), E = q.size(2), hd = E / heads;
    std::vector<at::Tensor> W = w[p + ".in_proj_weight"].chunk(3, 0), b = w[p + ".in_proj_bias"].chunk(3, 0);
    auto split = [&](const at::Tensor& x, int64_t T) { return x.view({B, T, heads, hd}).transpose(1, 2); };
    at::Tensor Q = split(at::linear(q, W[0], b[0]), L);                              // [B, h, L, hd]
    at::Tensor K = split(at::linear(k, W[1], b[1]), S);                              // [B, h, S, hd]
    at::Tensor V = split(at::linear(v, W[2], b[2]), S);                              // [B, h, S, hd]
    at::Tensor scores = at::matmul(Q, K.transpose(-2, -1)) / std::sqrt(double(hd));  // [B, h, L, S]
    scores = scores.masked_fill(keyPadding.view({B, 1, 1, S}), -INFINITY);
    at::Tensor attn = at::dropout(at::softmax(scores, -1), dropout, train);
    at::Tensor out = at::matmul(attn, V).transpose(1, 2).reshape({B, L, E});        // [B, L, E]
    return linear(w, p + ".out_proj", out);
}

at::Tensor encoderLayerPreNorm(const Inst3dWeights& w, const std::string& p, int heads, const at::Tensor& x,
                               const at::Tensor& keyPadding, double dropout, bool train) {
    at::Tensor y = layerNorm(w, p + "norm1", x);
    at::Tensor h = x + at::dropout(multiheadAttention(w, p + "self_attn", heads, y, y, y, keyPadding, dropout, train),
                                   dropout, train);
    at::Tensor f = linear(w, p + "linear2", at::dropout(at::relu(linear(w, p + "linear1", layerNorm(w, p + "norm2", h))),
                                                        dropout, train));
    return h + at::dropout(f, dropout, train);
}

}  // namespace inst3d::nn
