#include "models/vision/uni3d.h"

#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>

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

enum class Init { Linear, Zero, One, Token };

// One tensor of the released checkpoint: its name (without the "point_encoder." prefix), the member
// that holds it, its shape, how random() fills it.
struct Spec {
    std::string name;
    torch::Tensor* tensor;
    std::vector<int64_t> shape;
    Init init;
    bool optional = false;  // visual.norm: only token-pooled checkpoints have it
};

// Builds a layout in checkpoint order, one PyTorch module at a time.
struct SpecList {
    std::vector<Spec> specs;
    bool optional = false;  // for the specs added from now on

    void add(const std::string& n, torch::Tensor& t, std::vector<int64_t> shape, Init init) {
        specs.push_back({n, &t, std::move(shape), init, optional});
    }
    void weight(const std::string& p, torch::Tensor& w, int64_t out, int64_t in) {  // Linear(bias=False)
        add(p + "weight", w, {out, in}, Init::Linear);
    }
    void linear(const std::string& p, torch::Tensor& w, torch::Tensor& b, int64_t out, int64_t in) {
        weight(p, w, out, in);
        add(p + "bias", b, {out}, Init::Zero);
    }
    // Conv1d(in, out, 1)
    void conv(const std::string& p, torch::Tensor& w, torch::Tensor& b, int64_t out, int64_t in) {
        add(p + "weight", w, {out, in, 1}, Init::Linear);
        add(p + "bias", b, {out}, Init::Zero);
    }
    void norm(const std::string& p, torch::Tensor& w, torch::Tensor& b, int64_t n) {
        add(p + "weight", w, {n}, Init::One);
        add(p + "bias", b, {n}, Init::Zero);
    }
};

struct ConvBn {  // Conv1d(k=1) -> BatchNorm1d (eval) -> ReLU -> Conv1d(k=1), channels last
    // As stored: Sequential modules 0 (Conv1d [c_mid, c_in, 1]), 1 (BatchNorm1d [c_mid]), 3 (Conv1d [c_out, c_mid, 1]).
    torch::Tensor conv1W, b1, bnW, bnB, bnMean, bnVar, conv2W, b2;
    // fold(): the convolutions as matrices, BatchNorm as scale and shift.
    torch::Tensor w1, w2;              // [c_mid, c_in], [c_out, c_mid]
    torch::Tensor bnScale, bnShift;    // [c_mid]: weight / sqrt(var + eps), bias - mean * scale

    void addTo(SpecList& s, const std::string& p, int64_t in, int64_t mid, int64_t out) {
        s.conv(p + "0.", conv1W, b1, mid, in);
        s.norm(p + "1.", bnW, bnB, mid);
        s.add(p + "1.running_mean", bnMean, {mid}, Init::Zero);
        s.add(p + "1.running_var", bnVar, {mid}, Init::One);
        s.conv(p + "3.", conv2W, b2, out, mid);
    }

    void fold(double eps) {
        w1 = conv1W.squeeze(-1);
        bnScale = bnW / torch::sqrt(bnVar + eps);
        bnShift = bnB - bnMean * bnScale;
        w2 = conv2W.squeeze(-1);
    }

    torch::Tensor operator()(const torch::Tensor& x) const {  // [..., c_in] -> [..., c_out]
        torch::Tensor h = torch::relu(torch::linear(x, w1, b1) * bnScale + bnShift);  // [..., c_mid]
        return torch::linear(h, w2, b2);
    }
};

struct Block {
    torch::Tensor norm1W, norm1B;        // [D]
    torch::Tensor qkvW, qkvB;            // [3D, D], [3D]: [q; k; v] with k bias 0 (qkvW as stored when fused)
    torch::Tensor qB, vB;                // [D] as stored: q_bias / v_bias, or the q_proj / v_proj biases
    torch::Tensor qW, kW, vW;            // [D, D] as stored, separate projections only
    torch::Tensor projW, projB;          // [D, D], [D]
    torch::Tensor norm2W, norm2B;        // [D]
    torch::Tensor fc1W, fc1B;            // [H, D] (GELU) or [2H, D] = [gate; value] (GLU kinds)
    torch::Tensor fc1gW, fc1gB, fc1xW, fc1xB;  // [H, D], [H] as stored, SwiGLU only
    torch::Tensor mlpNormW, mlpNormB;    // [H], SwiGLU only
    torch::Tensor fc2W, fc2B;            // [D, H], [D]

    void addTo(SpecList& s, const std::string& b, const Uni3dConfig& c) {
        const int64_t D = c.transDim, H = c.mlpHidden;
        s.norm(b + "norm1.", norm1W, norm1B, D);
        if (c.qkvFused) {
            s.weight(b + "attn.qkv.", qkvW, 3 * D, D);
            s.add(b + "attn.q_bias", qB, {D}, Init::Zero);
            s.add(b + "attn.v_bias", vB, {D}, Init::Zero);
        } else {
            s.linear(b + "attn.q_proj.", qW, qB, D, D);
            s.weight(b + "attn.k_proj.", kW, D, D);
            s.linear(b + "attn.v_proj.", vW, vB, D, D);
        }
        s.linear(b + "attn.proj.", projW, projB, D, D);
        s.norm(b + "norm2.", norm2W, norm2B, D);
        if (c.mlp == Uni3dMlp::SwiGlu) {
            s.linear(b + "mlp.fc1_g.", fc1gW, fc1gB, H, D);
            s.linear(b + "mlp.fc1_x.", fc1xW, fc1xB, H, D);
            s.norm(b + "mlp.norm.", mlpNormW, mlpNormB, H);
        } else {
            s.linear(b + "mlp.fc1.", fc1W, fc1B, c.mlp == Uni3dMlp::PackedGlu ? 2 * H : H, D);
        }
        s.linear(b + "mlp.fc2.", fc2W, fc2B, D, H);
    }

    // One qkv matmul (k has no bias) and, for SwiGLU, one [gate; value] fc1 matmul.
    void fuse(const Uni3dConfig& c) {
        if (!c.qkvFused) qkvW = torch::cat({qW, kW, vW});
        qkvB = torch::cat({qB, torch::zeros({c.transDim}, norm1W.options()), vB});
        if (c.mlp == Uni3dMlp::SwiGlu) {
            fc1W = torch::cat({fc1gW, fc1xW});
            fc1B = torch::cat({fc1gB, fc1xB});
        }
    }
};

std::string blockPrefix(int64_t i) { return "visual.blocks." + std::to_string(i) + "."; }

}  // namespace

struct Uni3dEncoder::Impl {
    Uni3dConfig cfg;
    torch::Device device = torch::kCPU;
    torch::Tensor clsToken, clsPos;       // [1, 1, D]
    ConvBn firstConv, secondConv;         // 6 -> c2, 2*c2 -> encoderDim
    torch::Tensor enc2transW, enc2transB; // [D, E], [D]
    torch::Tensor pos1W, pos1B, pos2W, pos2B;  // [128, 3], [128], [D, 128], [D]
    std::vector<Block> blocks;
    torch::Tensor normW, normB;           // visual.norm, undefined (Identity) in the release
    torch::Tensor fcNormW, fcNormB;       // visual.fc_norm [D]
    torch::Tensor trans2embedW, trans2embedB;  // [embed, D], [embed]

    // Every tensor the forward reads, under its released name, in the file's order (the optional
    // visual.norm last); load, random and stateDict share it. Sizes `blocks` to the config.
    std::vector<Spec> layout() {
        const int64_t D = cfg.transDim;
        SpecList s;
        s.add("cls_token", clsToken, {1, 1, D}, Init::Token);
        s.add("cls_pos", clsPos, {1, 1, D}, Init::Token);
        firstConv.addTo(s, "encoder.first_conv.", 6, cfg.pnDim1, cfg.pnDim2);
        secondConv.addTo(s, "encoder.second_conv.", 2 * cfg.pnDim2, cfg.pnDim3, cfg.encoderDim);
        s.linear("encoder2trans.", enc2transW, enc2transB, D, cfg.encoderDim);
        s.linear("trans2embed.", trans2embedW, trans2embedB, cfg.embedDim, D);
        s.linear("pos_embed.0.", pos1W, pos1B, cfg.posHidden, 3);
        s.linear("pos_embed.2.", pos2W, pos2B, D, cfg.posHidden);
        blocks.resize(size_t(cfg.depth));
        for (int64_t i = 0; i < cfg.depth; ++i) blocks[size_t(i)].addTo(s, blockPrefix(i), cfg);
        s.norm("visual.fc_norm.", fcNormW, fcNormB, D);
        s.optional = true;  // visual.norm: a token-pooled Eva (global_pool != 'avg')
        s.norm("visual.norm.", normW, normB, D);
        return s.specs;
    }

    // The name of block i's first tensor: a checkpoint holding it for i = depth has more blocks than cfg.
    std::string blockStart(int64_t i) const {
        SpecList s;
        Block probe;
        probe.addTo(s, blockPrefix(i), cfg);
        return s.specs.front().name;
    }

    // Moves the checkpoint tensors to `device`, then derives the fused forms (BatchNorm folded, qkv joined).
    void build() {
        for (const Spec& w : layout())
            if (w.tensor->defined()) *w.tensor = w.tensor->to(device);
        firstConv.fold(cfg.bnEps);
        secondConv.fold(cfg.bnEps);
        for (Block& b : blocks) b.fuse(cfg);
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

// random()'s draw for one tensor, from `gen` in layout order.
torch::Tensor randomTensor(const Spec& spec, at::Generator& gen) {
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
    return t;
}

void checkConfig(const Uni3dConfig& c) {
    if (c.transDim <= 0 || c.depth < 0 || c.heads <= 0 || c.transDim % c.heads != 0)
        fail("", "Uni3D config '" + c.name + "': trans_dim must be a positive multiple of heads");
    if (c.numGroup <= 0 || c.groupSize <= 0) fail("", "Uni3D config '" + c.name + "': num_group and group_size must be positive");
}

// Where the encoder's names start in a checkpoint: the first prefix that puts `first` (cls_token) in it.
std::string encoderPrefix(const SafetensorsFile& file, const std::string& first, const std::string& path) {
    const std::vector<std::string> prefixes = {"module.point_encoder.", "point_encoder.", ""};
    for (const std::string& p : prefixes)
        if (file.find(p + first)) return p;
    std::string tried;
    for (const std::string& p : prefixes) tried += (tried.empty() ? "'" : ", '") + p + first + "'";
    fail(path, "no Uni3D point encoder: none of " + tried + " is in the file");
}

}  // namespace

std::unique_ptr<Uni3dEncoder> Uni3dEncoder::load(const std::string& path, const Uni3dConfig& config,
                                                const std::string& device) {
    checkConfig(config);
    std::unique_ptr<Uni3dEncoder> m(new Uni3dEncoder());
    Impl& s = *m->impl_;
    s.cfg = config;
    s.device = parseTorchDevice(device);
    auto file = std::make_shared<SafetensorsFile>(path);
    const std::vector<Spec> specs = s.layout();
    const std::string prefix = encoderPrefix(*file, specs.front().name, path);
    const std::string extra = prefix + s.blockStart(config.depth);
    if (file->find(extra))
        fail(path, "tensor '" + extra + "' present: the checkpoint has more than " + std::to_string(config.depth) +
                       " blocks (Uni3D config '" + config.name + "')");
    auto get = [&](const Spec& spec) {
        const std::string full = prefix + spec.name;
        if (!file->find(full)) fail(path, "tensor '" + full + "' missing (Uni3D config '" + config.name + "')");
        return loadTensorChecked(file, full, spec.shape).to(torch::kFloat32);
    };
    // visual.norm is read when the file has its first tensor, and then must be whole.
    auto firstOptional = std::find_if(specs.begin(), specs.end(), [](const Spec& w) { return w.optional; });
    const bool withOptional = firstOptional != specs.end() && file->find(prefix + firstOptional->name);
    for (const Spec& spec : specs)
        if (!spec.optional || withOptional) *spec.tensor = get(spec);
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
    for (const Spec& spec : s.layout())
        if (!spec.optional) *spec.tensor = randomTensor(spec, gen);
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
    for (const Spec& spec : impl_->layout())  // the optional visual.norm only where the checkpoint had it
        if (spec.tensor->defined()) out.emplace_back("point_encoder." + spec.name, *spec.tensor);
    return out;
}

// ---- inference --------------------------------------------------------------------------------------

at::Tensor Uni3dEncoder::encode(const at::Tensor& xyz, const at::Tensor& rgb) const {
    torch::NoGradGuard noGrad;
    auto [p, c] = impl_->checkInputs(xyz, rgb);
    return impl_->forward(p, c);
}

at::Tensor Uni3dEncoder::encodeWithGrad(const at::Tensor& xyz, const at::Tensor& rgb) const {
    auto [p, c] = impl_->checkInputs(xyz, rgb);
    return impl_->forward(p, c);
}

std::vector<at::Tensor> Uni3dEncoder::trainableParameters() const {
    std::vector<at::Tensor> out;
    for (const auto& [name, t] : stateDict())
        if (name.find("running_") == std::string::npos) out.push_back(t);
    return out;
}

void Uni3dEncoder::save(const std::string& path) const {
    std::vector<std::pair<std::string, at::Tensor>> cpu;
    for (const auto& [name, t] : stateDict()) cpu.emplace_back(name, t.detach().to(torch::kCPU).contiguous());
    saveTensors(path, cpu, {{"format", "pt"}, {"uni3d_config", impl_->cfg.name}});
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
