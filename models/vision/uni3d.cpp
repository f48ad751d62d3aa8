#include "models/vision/uni3d.h"

#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/common/error.h"
#include "core/io/safetensors.h"
#include "models/weights/torch_device.h"
#include "models/weights/torch_weights.h"

namespace inst3d {

// ---- configurations -------------------------------------------------------------------------------

namespace {

Uni3dConfig makeConfig(const std::string& name, int64_t D, int64_t depth, int64_t heads, int64_t hidden, Uni3dMlp mlp,
                       bool fused) {
    Uni3dConfig c;
    c.name = name;
    c.transDim = D;
    c.depth = depth;
    c.heads = heads;
    c.mlpHidden = hidden;
    c.mlp = mlp;
    c.qkvFused = fused;
    return c;
}

Uni3dConfig tinyConfig(const std::string& name, int64_t heads, int64_t hidden, Uni3dMlp mlp, bool fused) {
    Uni3dConfig c = makeConfig(name, 32, 2, heads, hidden, mlp, fused);
    c.numGroup = 16;
    c.groupSize = 16;
    c.encoderDim = 40;
    c.embedDim = 24;
    c.pnDim1 = 16, c.pnDim2 = 32, c.pnDim3 = 64;
    c.posHidden = 16;
    return c;
}

}  // namespace

std::vector<std::string> Uni3dConfig::names() { return {"g", "l", "b", "s", "ti", "tiny", "tiny-l", "tiny-s"}; }

Uni3dConfig Uni3dConfig::named(const std::string& name) {
    // hidden = int(D * mlp_ratio) as timm: 6144/1408 for EVA-01 g, 4*2/3 for EVA02.
    auto eva02 = [](int64_t D) { return int64_t(double(D) * (4.0 * 2.0 / 3.0)); };
    if (name == "g") return makeConfig(name, 1408, 40, 16, 6144, Uni3dMlp::Gelu, true);
    if (name == "l") return makeConfig(name, 1024, 24, 16, eva02(1024), Uni3dMlp::SwiGlu, false);
    if (name == "b") return makeConfig(name, 768, 12, 12, eva02(768), Uni3dMlp::SwiGlu, false);
    if (name == "s") return makeConfig(name, 384, 12, 6, eva02(384), Uni3dMlp::PackedGlu, true);
    if (name == "ti") return makeConfig(name, 192, 12, 3, eva02(192), Uni3dMlp::PackedGlu, true);
    if (name == "tiny") return tinyConfig(name, 2, 64, Uni3dMlp::Gelu, true);
    if (name == "tiny-l") return tinyConfig(name, 2, 40, Uni3dMlp::SwiGlu, false);
    if (name == "tiny-s") return tinyConfig(name, 4, 40, Uni3dMlp::PackedGlu, true);
    std::string all;
    for (const std::string& n : names()) all += (all.empty() ? "" : ", ") + n;
    fail("", "unknown Uni3D config '" + name + "' (" + all + ")");
}

// ---- FPS: pointnet2_ops furthest_point_sampling_kernel, one CUDA block emulated -------------------

namespace {

// cuda_utils.h opt_n_threads: the largest power of two <= n, at most 512 (same double arithmetic).
int optNThreads(int64_t n) {
    const int pow2 = int(std::log(double(n)) / std::log(2.0));
    return std::max(std::min(1 << pow2, 512), 1);
}

}  // namespace

// The distances must round as the reference's separate float multiplies and adds: no FMA contraction.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif
std::vector<int64_t> farthestPointSample(const float* xyz, int64_t n, int64_t m) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
    if (m <= 0) return {};
    if (n <= 0) fail("", "farthest point sampling needs at least one point");
    const int T = optNThreads(n);
    std::vector<float> temp(static_cast<size_t>(n), 1e10f);  // min distance to the chosen set
    std::vector<char> skip(static_cast<size_t>(n));          // |p|^2 <= 1e-3: never a candidate
    for (int64_t k = 0; k < n; ++k) {
        const float x = xyz[3 * k], y = xyz[3 * k + 1], z = xyz[3 * k + 2];
        const float mag = (x * x) + (y * y) + (z * z);
        skip[size_t(k)] = double(mag) <= 1e-3;  // float compared with a double literal, as in the kernel
    }
    std::vector<float> dists(static_cast<size_t>(T));
    std::vector<int64_t> distsI(static_cast<size_t>(T));
    std::vector<int64_t> idx(static_cast<size_t>(m));
    int64_t old = 0;
    idx[0] = old;
    for (int64_t j = 1; j < m; ++j) {
        const float x1 = xyz[3 * old], y1 = xyz[3 * old + 1], z1 = xyz[3 * old + 2];
        for (int t = 0; t < T; ++t) {  // thread t scans k = t, t + T, ...
            float best = -1;
            int64_t besti = 0;
            for (int64_t k = t; k < n; k += T) {
                if (skip[size_t(k)]) continue;
                const float dx = xyz[3 * k] - x1, dy = xyz[3 * k + 1] - y1, dz = xyz[3 * k + 2] - z1;
                const float d = (dx * dx) + (dy * dy) + (dz * dz);
                const float d2 = std::min(d, temp[size_t(k)]);
                temp[size_t(k)] = d2;
                if (d2 > best) best = d2, besti = k;
            }
            dists[size_t(t)] = best;
            distsI[size_t(t)] = besti;
        }
        for (int off = T / 2; off >= 1; off /= 2)  // shared-memory tree: slot t vs t + off, left wins ties
            for (int t = 0; t < off; ++t)
                if (dists[size_t(t + off)] > dists[size_t(t)]) {
                    dists[size_t(t)] = dists[size_t(t + off)];
                    distsI[size_t(t)] = distsI[size_t(t + off)];
                }
        old = distsI[0];
        idx[size_t(j)] = old;
    }
    return idx;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

// ---- Inst3D's instance preprocessing ----------------------------------------------------------------

Uni3dInput prepareUni3dInstance(const std::vector<float>& xyz, const std::vector<uint8_t>& rgb, int64_t minPoints) {
    if (xyz.size() % 3 != 0) fail("", "Uni3D instance: xyz has " + std::to_string(xyz.size()) + " values, not a multiple of 3");
    if (rgb.size() != xyz.size())
        fail("", "Uni3D instance: " + std::to_string(xyz.size() / 3) + " points but " + std::to_string(rgb.size()) +
                     " color values (expected " + std::to_string(xyz.size()) + ")");
    const int64_t P = int64_t(xyz.size() / 3);
    if (P == 0) fail("", "Uni3D instance: no points");
    double mean[3] = {0, 0, 0};  // centroid = mean(xyz)
    for (int64_t i = 0; i < P; ++i)
        for (int a = 0; a < 3; ++a) mean[a] += xyz[size_t(3 * i + a)];
    for (double& v : mean) v /= double(P);
    double radius = 0;  // max ||xyz - centroid||
    for (int64_t i = 0; i < P; ++i) {
        double s = 0;
        for (int a = 0; a < 3; ++a) s += (xyz[size_t(3 * i + a)] - mean[a]) * (xyz[size_t(3 * i + a)] - mean[a]);
        radius = std::max(radius, std::sqrt(s));
    }
    Uni3dInput in;
    in.xyz.resize(xyz.size());
    in.rgb.resize(rgb.size());
    for (size_t i = 0; i < xyz.size(); ++i) {
        in.xyz[i] = float(radius > 0 ? (xyz[i] - mean[i % 3]) / radius : 0.0);
        in.rgb[i] = float(double(rgb[i]) / 255.0);
    }
    while (int64_t(in.xyz.size() / 3) < minPoints) {  // `while input.shape[1] < 64: cat(input, input)`
        in.xyz.insert(in.xyz.end(), in.xyz.begin(), in.xyz.end());
        in.rgb.insert(in.rgb.end(), in.rgb.begin(), in.rgb.end());
    }
    in.numPoints = int64_t(in.xyz.size() / 3);
    return in;
}

// ---- weights ------------------------------------------------------------------------------------------

namespace {

using torch::indexing::Slice;

enum class Init { Linear, Zero, One, Token };

struct Spec {
    std::string name;  // without the "point_encoder." prefix
    std::vector<int64_t> shape;
    Init init;
};

// Every tensor the forward reads, under its released name, with its shape.
std::vector<Spec> tensorSpecs(const Uni3dConfig& c) {
    const int64_t D = c.transDim, H = c.mlpHidden;
    std::vector<Spec> s;
    auto add = [&](const std::string& n, std::vector<int64_t> shape, Init init) { s.push_back({n, std::move(shape), init}); };
    auto linear = [&](const std::string& p, int64_t out, int64_t in, bool bias = true) {
        add(p + "weight", {out, in}, Init::Linear);
        if (bias) add(p + "bias", {out}, Init::Zero);
    };
    auto conv = [&](const std::string& p, int64_t out, int64_t in) {  // Conv1d(in, out, 1)
        add(p + "weight", {out, in, 1}, Init::Linear);
        add(p + "bias", {out}, Init::Zero);
    };
    auto norm = [&](const std::string& p, int64_t n) {
        add(p + "weight", {n}, Init::One);
        add(p + "bias", {n}, Init::Zero);
    };
    auto batchNorm = [&](const std::string& p, int64_t n) {
        norm(p, n);
        add(p + "running_mean", {n}, Init::Zero);
        add(p + "running_var", {n}, Init::One);
    };
    add("cls_token", {1, 1, D}, Init::Token);
    add("cls_pos", {1, 1, D}, Init::Token);
    conv("encoder.first_conv.0.", c.pnDim1, 6);
    batchNorm("encoder.first_conv.1.", c.pnDim1);
    conv("encoder.first_conv.3.", c.pnDim2, c.pnDim1);
    conv("encoder.second_conv.0.", c.pnDim3, 2 * c.pnDim2);
    batchNorm("encoder.second_conv.1.", c.pnDim3);
    conv("encoder.second_conv.3.", c.encoderDim, c.pnDim3);
    linear("encoder2trans.", D, c.encoderDim);
    linear("trans2embed.", c.embedDim, D);
    linear("pos_embed.0.", c.posHidden, 3);
    linear("pos_embed.2.", D, c.posHidden);
    for (int64_t i = 0; i < c.depth; ++i) {
        const std::string b = "visual.blocks." + std::to_string(i) + ".";
        norm(b + "norm1.", D);
        if (c.qkvFused) {
            linear(b + "attn.qkv.", 3 * D, D, /*bias=*/false);
            add(b + "attn.q_bias", {D}, Init::Zero);
            add(b + "attn.v_bias", {D}, Init::Zero);
        } else {
            linear(b + "attn.q_proj.", D, D);
            linear(b + "attn.k_proj.", D, D, /*bias=*/false);
            linear(b + "attn.v_proj.", D, D);
        }
        linear(b + "attn.proj.", D, D);
        norm(b + "norm2.", D);
        switch (c.mlp) {
            case Uni3dMlp::Gelu: linear(b + "mlp.fc1.", H, D); break;
            case Uni3dMlp::SwiGlu:
                linear(b + "mlp.fc1_g.", H, D);
                linear(b + "mlp.fc1_x.", H, D);
                norm(b + "mlp.norm.", H);
                break;
            case Uni3dMlp::PackedGlu: linear(b + "mlp.fc1.", 2 * H, D); break;
        }
        linear(b + "mlp.fc2.", D, H);
    }
    norm("visual.fc_norm.", D);
    return s;
}

struct ConvBn {                    // Conv1d(k=1) -> BatchNorm1d (eval) -> ReLU -> Conv1d(k=1), channels last
    torch::Tensor w1, b1;          // [c_mid, c_in], [c_mid]
    torch::Tensor bnScale, bnShift;  // [c_mid]: weight / sqrt(var + eps), bias - mean * scale
    torch::Tensor w2, b2;          // [c_out, c_mid], [c_out]

    torch::Tensor operator()(const torch::Tensor& x) const {  // [..., c_in] -> [..., c_out]
        torch::Tensor h = torch::relu(torch::linear(x, w1, b1) * bnScale + bnShift);  // [..., c_mid]
        return torch::linear(h, w2, b2);
    }
};

struct Block {
    torch::Tensor norm1W, norm1B;        // [D]
    torch::Tensor qkvW, qkvB;            // [3D, D], [3D]: [q; k; v] with k bias 0
    torch::Tensor projW, projB;          // [D, D], [D]
    torch::Tensor norm2W, norm2B;        // [D]
    torch::Tensor fc1W, fc1B;            // [H, D] (GELU) or [2H, D] = [gate; value] (GLU kinds)
    torch::Tensor mlpNormW, mlpNormB;    // [H], SwiGLU only
    torch::Tensor fc2W, fc2B;            // [D, H], [D]
};

}  // namespace

struct Uni3dEncoder::Impl {
    Uni3dConfig cfg;
    std::vector<std::pair<std::string, torch::Tensor>> named;  // released names without the prefix
    torch::Device device = torch::kCPU;
    torch::Tensor clsToken, clsPos;       // [1, 1, D]
    ConvBn firstConv, secondConv;         // 6 -> c2, 2*c2 -> encoderDim
    torch::Tensor enc2transW, enc2transB; // [D, E], [D]
    torch::Tensor pos1W, pos1B, pos2W, pos2B;  // [128, 3], [128], [D, 128], [D]
    std::vector<Block> blocks;
    torch::Tensor normW, normB;           // visual.norm, undefined (Identity) in the release
    torch::Tensor fcNormW, fcNormB;       // visual.fc_norm [D]
    torch::Tensor trans2embedW, trans2embedB;  // [embed, D], [embed]

    // Moves the named weights to `device`, then derives the fused forms (BatchNorm folded, qkv joined).
    void build() {
        for (auto& [name, t] : named) t = t.to(device);
        std::map<std::string, torch::Tensor> w(named.begin(), named.end());
        auto at = [&](const std::string& n) { return w.at(n); };
        auto convBn = [&](const std::string& p) {
            ConvBn c;
            c.w1 = at(p + "0.weight").squeeze(-1);
            c.b1 = at(p + "0.bias");
            c.bnScale = at(p + "1.weight") / torch::sqrt(at(p + "1.running_var") + cfg.bnEps);
            c.bnShift = at(p + "1.bias") - at(p + "1.running_mean") * c.bnScale;
            c.w2 = at(p + "3.weight").squeeze(-1);
            c.b2 = at(p + "3.bias");
            return c;
        };
        clsToken = at("cls_token");
        clsPos = at("cls_pos");
        firstConv = convBn("encoder.first_conv.");
        secondConv = convBn("encoder.second_conv.");
        enc2transW = at("encoder2trans.weight"), enc2transB = at("encoder2trans.bias");
        pos1W = at("pos_embed.0.weight"), pos1B = at("pos_embed.0.bias");
        pos2W = at("pos_embed.2.weight"), pos2B = at("pos_embed.2.bias");
        const int64_t D = cfg.transDim;
        blocks.clear();
        for (int64_t i = 0; i < cfg.depth; ++i) {
            const std::string b = "visual.blocks." + std::to_string(i) + ".";
            Block k;
            k.norm1W = at(b + "norm1.weight"), k.norm1B = at(b + "norm1.bias");
            if (cfg.qkvFused) {
                k.qkvW = at(b + "attn.qkv.weight");
                k.qkvB = torch::cat({at(b + "attn.q_bias"), torch::zeros({D}, at(b + "norm1.weight").options()), at(b + "attn.v_bias")});
            } else {
                k.qkvW = torch::cat({at(b + "attn.q_proj.weight"), at(b + "attn.k_proj.weight"), at(b + "attn.v_proj.weight")});
                k.qkvB = torch::cat({at(b + "attn.q_proj.bias"), torch::zeros({D}, at(b + "norm1.weight").options()), at(b + "attn.v_proj.bias")});
            }
            k.projW = at(b + "attn.proj.weight"), k.projB = at(b + "attn.proj.bias");
            k.norm2W = at(b + "norm2.weight"), k.norm2B = at(b + "norm2.bias");
            if (cfg.mlp == Uni3dMlp::SwiGlu) {  // fc1_g, fc1_x -> one [gate; value] matmul
                k.fc1W = torch::cat({at(b + "mlp.fc1_g.weight"), at(b + "mlp.fc1_x.weight")});
                k.fc1B = torch::cat({at(b + "mlp.fc1_g.bias"), at(b + "mlp.fc1_x.bias")});
                k.mlpNormW = at(b + "mlp.norm.weight"), k.mlpNormB = at(b + "mlp.norm.bias");
            } else {
                k.fc1W = at(b + "mlp.fc1.weight"), k.fc1B = at(b + "mlp.fc1.bias");
            }
            k.fc2W = at(b + "mlp.fc2.weight"), k.fc2B = at(b + "mlp.fc2.bias");
            blocks.push_back(std::move(k));
        }
        if (w.count("visual.norm.weight")) normW = at("visual.norm.weight"), normB = at("visual.norm.bias");
        fcNormW = at("visual.fc_norm.weight"), fcNormB = at("visual.fc_norm.bias");
        trans2embedW = at("trans2embed.weight"), trans2embedB = at("trans2embed.bias");
    }

    // ---- forward ----

    torch::Tensor fps(const torch::Tensor& xyz) const {  // [B, N, 3] -> [B, G] int64
        torch::Tensor pts = xyz.to(torch::kCPU, torch::kFloat32).contiguous();
        const int64_t B = pts.size(0), N = pts.size(1), G = cfg.numGroup;
        torch::Tensor idx = torch::empty({B, G}, torch::kInt64);
        for (int64_t b = 0; b < B; ++b) {
            std::vector<int64_t> i = farthestPointSample(pts[b].data_ptr<float>(), N, G);
            std::copy(i.begin(), i.end(), idx[b].data_ptr<int64_t>());
        }
        return idx;
    }

    // Indices of the K nearest points of each center: [B, G, K], in increasing index order. Distances
    // (dx*dx + dy*dy) + dz*dz in fp32; ties at the K-th distance go to the lower indices. Chunked over
    // centers so that a 100k-point instance does not need a [G, N] matrix at once.
    torch::Tensor knn(const torch::Tensor& xyz, const torch::Tensor& centers) const {
        const int64_t B = xyz.size(0), N = xyz.size(1), G = centers.size(1), K = cfg.groupSize;
        const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(G, (int64_t(1) << 22) / std::max<int64_t>(1, B * N)));
        std::vector<torch::Tensor> parts;
        for (int64_t g0 = 0; g0 < G; g0 += chunk) {
            torch::Tensor c = centers.narrow(1, g0, std::min(chunk, G - g0));  // [B, g, 3]
            const int64_t g = c.size(1);
            auto diff = [&](int64_t a) { return xyz.select(2, a).unsqueeze(1) - c.select(2, a).unsqueeze(2); };  // [B, g, N]
            torch::Tensor dx = diff(0), dy = diff(1), dz = diff(2);
            torch::Tensor dist = (dx * dx + dy * dy) + dz * dz;                                         // [B, g, N]
            torch::Tensor kth = std::get<0>(dist.kthvalue(K, -1, /*keepdim=*/true));                    // [B, g, 1]
            torch::Tensor less = dist < kth, tie = dist == kth;                                         // [B, g, N]
            torch::Tensor room = K - less.sum(-1, /*keepdim=*/true);                                    // [B, g, 1]
            torch::Tensor take = less.logical_or(tie.logical_and(tie.cumsum(-1) <= room));             // [B, g, N]
            parts.push_back(take.nonzero().select(1, 2).view({B, g, K}));                               // [B, g, K]
        }
        return torch::cat(parts, 1);
    }

    // xyz, rgb: [B, N, 3] fp32 on the CPU (checkInputs) -> [B, embed] on the model's device.
    torch::Tensor forward(const torch::Tensor& xyzCpu, const torch::Tensor& rgbCpu) const {
        const int64_t B = xyzCpu.size(0), N = xyzCpu.size(1), G = cfg.numGroup, K = cfg.groupSize, D = cfg.transDim;

        // Group: FPS centers (sequential: on the CPU), kNN neighbourhoods, xyz relative to the center ++ rgb
        torch::Tensor centerIdx = fps(xyzCpu).to(device);                                     // [B, G]
        const torch::Tensor xyz = xyzCpu.to(device), rgb = rgbCpu.to(device);                // [B, N, 3]
        torch::Tensor batchBase = torch::arange(B, torch::TensorOptions().dtype(torch::kInt64).device(device)).mul(N);  // [B]
        torch::Tensor flatXyz = xyz.reshape({B * N, 3}), flatRgb = rgb.reshape({B * N, 3});
        torch::Tensor center = flatXyz.index_select(0, (centerIdx + batchBase.unsqueeze(1)).view(-1)).view({B, G, 3});
        torch::Tensor nb = (knn(xyz, center) + batchBase.view({B, 1, 1})).view(-1);           // [B*G*K]
        torch::Tensor neighborhood = flatXyz.index_select(0, nb).view({B, G, K, 3}) - center.unsqueeze(2);  // [B, G, K, 3]
        torch::Tensor features = torch::cat({neighborhood, flatRgb.index_select(0, nb).view({B, G, K, 3})}, -1);  // [B, G, K, 6]

        // Mini-PointNet (Uni3D Encoder): per-point MLP, max over the group, global ++ local, MLP, max
        torch::Tensor h = firstConv(features);                                                // [B, G, K, c2]
        torch::Tensor global = std::get<0>(h.max(2, /*keepdim=*/true)).expand({B, G, K, h.size(3)});  // [B, G, K, c2]
        h = secondConv(torch::cat({global, h}, -1));                                         // [B, G, K, E]
        torch::Tensor tokens = std::get<0>(h.max(2));                                         // [B, G, E]

        // Tokens: encoder2trans, cls, positional MLP on the centers
        tokens = torch::linear(tokens, enc2transW, enc2transB);                               // [B, G, D]
        torch::Tensor pos = torch::linear(torch::gelu(torch::linear(center, pos1W, pos1B)), pos2W, pos2B);  // [B, G, D]
        torch::Tensor x = torch::cat({clsToken.expand({B, 1, D}), tokens}, 1) +
                          torch::cat({clsPos.expand({B, 1, D}), pos}, 1);                     // [B, G+1, D]

        for (const Block& blk : blocks) x = block(blk, x);                                    // [B, G+1, D]

        // Head: CLS -> visual.norm (absent = Identity) -> fc_norm -> trans2embed
        torch::Tensor cls = x.select(1, 0);                                                   // [B, D]
        if (normW.defined()) cls = torch::layer_norm(cls, {D}, normW, normB, cfg.lnEps);
        cls = torch::layer_norm(cls, {D}, fcNormW, fcNormB, cfg.lnEps);
        return torch::linear(cls, trans2embedW, trans2embedB);                                // [B, embed]
    }

    // timm EvaBlock without RoPE or layer scale: x + attn(norm1(x)), then x + mlp(norm2(x)).
    torch::Tensor block(const Block& b, torch::Tensor x) const {
        const int64_t B = x.size(0), T = x.size(1), D = cfg.transDim, nh = cfg.heads, hd = D / nh;
        // Attention
        torch::Tensor h = torch::layer_norm(x, {D}, b.norm1W, b.norm1B, cfg.lnEps);                       // [B, T, D]
        torch::Tensor qkv = torch::linear(h, b.qkvW, b.qkvB).view({B, T, 3, nh, hd}).permute({2, 0, 3, 1, 4});  // [3, B, nh, T, hd]
        torch::Tensor q = qkv[0] * (1.0 / std::sqrt(double(hd))), k = qkv[1], v = qkv[2];                 // [B, nh, T, hd]
        torch::Tensor probs = torch::softmax(torch::matmul(q, k.transpose(-2, -1)), -1);                  // [B, nh, T, T]
        torch::Tensor att = torch::matmul(probs, v).transpose(1, 2).reshape({B, T, D});                   // [B, T, D]
        x = x + torch::linear(att, b.projW, b.projB);                                                     // [B, T, D]
        // MLP
        h = torch::layer_norm(x, {D}, b.norm2W, b.norm2B, cfg.lnEps);                                     // [B, T, D]
        h = torch::linear(h, b.fc1W, b.fc1B);                                                             // [B, T, H or 2H]
        if (cfg.mlp == Uni3dMlp::Gelu) {
            h = torch::gelu(h);                                                                           // [B, T, H]
        } else {
            std::vector<torch::Tensor> gv = h.chunk(2, -1);
            h = torch::silu(gv[0]) * gv[1];                                                               // [B, T, H]
            if (cfg.mlp == Uni3dMlp::SwiGlu) h = torch::layer_norm(h, {cfg.mlpHidden}, b.mlpNormW, b.mlpNormB, cfg.lnEps);
        }
        return x + torch::linear(h, b.fc2W, b.fc2B);                                                      // [B, T, D]
    }

    // Shapes and values encode() accepts; returns fp32 CPU contiguous copies.
    std::pair<torch::Tensor, torch::Tensor> checkInputs(const torch::Tensor& xyz, const torch::Tensor& rgb) const {
        auto shape = [](const torch::Tensor& t) { return t.defined() ? shapeString(t.sizes().vec()) : std::string("undefined"); };
        if (!xyz.defined() || xyz.dim() != 3 || xyz.size(2) != 3)
            fail("", "Uni3D encode: xyz must be [B, N, 3], got " + shape(xyz));
        if (!rgb.defined() || rgb.sizes() != xyz.sizes())
            fail("", "Uni3D encode: rgb must have xyz's shape " + shape(xyz) + ", got " + shape(rgb));
        if (!xyz.is_floating_point() || !rgb.is_floating_point())
            fail("", "Uni3D encode: xyz and rgb must be floating point (rgb in 0..1)");
        if (xyz.size(0) < 1) fail("", "Uni3D encode: empty batch");
        if (xyz.size(1) < cfg.groupSize)
            fail("", "Uni3D encode: " + std::to_string(xyz.size(1)) + " points per cloud, fewer than group_size " +
                         std::to_string(cfg.groupSize) + " (encodeInstance repeats small clouds as Inst3D does)");
        torch::Tensor p = xyz.to(torch::kCPU, torch::kFloat32).contiguous();
        torch::Tensor c = rgb.to(torch::kCPU, torch::kFloat32).contiguous();
        if (!torch::isfinite(p).all().item<bool>() || !torch::isfinite(c).all().item<bool>())
            fail("", "Uni3D encode: xyz or rgb has non-finite values");
        return {p, c};
    }
};

// ---- construction -----------------------------------------------------------------------------------

Uni3dEncoder::Uni3dEncoder() : impl_(std::make_unique<Impl>()) {}
Uni3dEncoder::~Uni3dEncoder() = default;

const Uni3dConfig& Uni3dEncoder::config() const { return impl_->cfg; }
std::string Uni3dEncoder::device() const { return impl_->device.str(); }

namespace {

void checkConfig(const Uni3dConfig& c) {
    if (c.transDim <= 0 || c.depth < 0 || c.heads <= 0 || c.transDim % c.heads != 0)
        fail("", "Uni3D config '" + c.name + "': trans_dim must be a positive multiple of heads");
    if (c.numGroup <= 0 || c.groupSize <= 0) fail("", "Uni3D config '" + c.name + "': num_group and group_size must be positive");
}

}  // namespace

std::unique_ptr<Uni3dEncoder> Uni3dEncoder::load(const std::string& path, const Uni3dConfig& config,
                                                const std::string& device) {
    checkConfig(config);
    const torch::Device dev = parseTorchDevice(device);
    auto file = std::make_shared<SafetensorsFile>(path);
    std::string prefix;
    bool found = false;
    for (const char* p : {"module.point_encoder.", "point_encoder.", ""})
        if (file->find(std::string(p) + "cls_token")) {
            prefix = p;
            found = true;
            break;
        }
    if (!found)
        fail(path, "no Uni3D point encoder: none of 'module.point_encoder.cls_token', 'point_encoder.cls_token', "
                   "'cls_token' is in the file");
    const std::string extra = prefix + "visual.blocks." + std::to_string(config.depth) + ".norm1.weight";
    if (file->find(extra))
        fail(path, "tensor '" + extra + "' present: the checkpoint has more than " + std::to_string(config.depth) +
                       " blocks (Uni3D config '" + config.name + "')");

    std::unique_ptr<Uni3dEncoder> m(new Uni3dEncoder());
    Impl& s = *m->impl_;
    s.cfg = config;
    s.device = dev;
    auto get = [&](const std::string& name, const std::vector<int64_t>& shape) {
        const std::string full = prefix + name;
        if (!file->find(full)) fail(path, "tensor '" + full + "' missing (Uni3D config '" + config.name + "')");
        return loadTensorChecked(file, full, shape).to(torch::kFloat32);
    };
    for (const Spec& spec : tensorSpecs(config)) s.named.emplace_back(spec.name, get(spec.name, spec.shape));
    if (file->find(prefix + "visual.norm.weight")) {  // a token-pooled Eva (global_pool != 'avg')
        s.named.emplace_back("visual.norm.weight", get("visual.norm.weight", {config.transDim}));
        s.named.emplace_back("visual.norm.bias", get("visual.norm.bias", {config.transDim}));
    }
    s.build();
    return m;
}

std::unique_ptr<Uni3dEncoder> Uni3dEncoder::random(const Uni3dConfig& config, uint64_t seed, const std::string& device) {
    checkConfig(config);
    std::unique_ptr<Uni3dEncoder> m(new Uni3dEncoder());
    Impl& s = *m->impl_;
    s.cfg = config;
    s.device = parseTorchDevice(device);  // weights drawn on the CPU, moved by build()
    at::Generator gen = at::detail::createCPUGenerator(seed);
    for (const Spec& spec : tensorSpecs(config)) {
        torch::Tensor t;
        switch (spec.init) {
            case Init::Linear: {  // uniform(-a, a), std 1/sqrt(fan_in)
                int64_t fanIn = 1;
                for (size_t i = 1; i < spec.shape.size(); ++i) fanIn *= spec.shape[i];
                t = (torch::rand(spec.shape, gen) * 2 - 1) * std::sqrt(3.0 / double(fanIn));
                break;
            }
            case Init::Token: t = at::normal(0.0, 0.02, spec.shape, gen, torch::kFloat32); break;
            case Init::Zero: t = torch::zeros(spec.shape); break;
            case Init::One: t = torch::ones(spec.shape); break;
        }
        s.named.emplace_back(spec.name, t);
    }
    s.build();
    return m;
}

std::unique_ptr<Uni3dEncoder> Uni3dEncoder::open(const std::string& spec, const std::string& configName,
                                                const std::string& device) {
    const std::string kRandom = "random:";
    if (spec.compare(0, kRandom.size(), kRandom) == 0)
        return random(Uni3dConfig::named(spec.substr(kRandom.size())), 0, device);
    return load(spec, Uni3dConfig::named(configName), device);
}

std::vector<std::pair<std::string, at::Tensor>> Uni3dEncoder::stateDict() const {
    std::vector<std::pair<std::string, at::Tensor>> out;
    for (const auto& [name, t] : impl_->named) out.emplace_back("point_encoder." + name, t);
    return out;
}

// ---- inference --------------------------------------------------------------------------------------

at::Tensor Uni3dEncoder::encode(const at::Tensor& xyz, const at::Tensor& rgb) const {
    torch::NoGradGuard noGrad;
    auto [p, c] = impl_->checkInputs(xyz, rgb);
    return impl_->forward(p, c);
}

at::Tensor Uni3dEncoder::fpsIndices(const at::Tensor& xyz) const {
    if (!xyz.defined() || xyz.dim() != 3 || xyz.size(2) != 3 || xyz.size(1) < 1)
        fail("", "Uni3D FPS: xyz must be [B, N, 3] with N >= 1, got " +
                     (xyz.defined() ? shapeString(xyz.sizes().vec()) : std::string("undefined")));
    return impl_->fps(xyz);
}

std::vector<float> Uni3dEncoder::encodeInstance(const std::vector<float>& xyz, const std::vector<uint8_t>& rgb) const {
    if (xyz.size() % 3 == 0 && rgb.size() == xyz.size() && int64_t(xyz.size() / 3) < kMinInstancePoints) return {};
    Uni3dInput in = prepareUni3dInstance(xyz, rgb, impl_->cfg.groupSize);
    torch::Tensor p = torch::from_blob(in.xyz.data(), {1, in.numPoints, 3}, torch::kFloat32);
    torch::Tensor c = torch::from_blob(in.rgb.data(), {1, in.numPoints, 3}, torch::kFloat32);
    torch::Tensor e = encode(p, c).to(torch::kCPU).contiguous();  // [1, embed]
    return std::vector<float>(e.data_ptr<float>(), e.data_ptr<float>() + e.numel());
}

}  // namespace inst3d
