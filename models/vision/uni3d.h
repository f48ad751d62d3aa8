// Uni3D point encoder (BAAI/Uni3D models/point_encoder.py, timm Eva blocks) in LibTorch, for inference:
// one 3D instance (xyz + rgb) -> one embedding in the EVA02-E-14-plus CLIP space (1024-d, not normalised),
// as Inst3D-LMM's 3D feature extraction computes it. fp32 on the CPU. <torch/torch.h> stays out of this
// header (pimpl; at::Tensor forward-declared).
//
// Forward (Uni3D PointcloudEncoder.forward; brief §4.2, weights-and-formats §1e):
//   FPS G centers -> kNN K points per center -> [xyz - center, rgb]           [B, G, K, 6]
//   mini-PointNet: first_conv (Conv1d 6->c1, BN, ReLU, Conv1d c1->c2), max over K, concat(global, local),
//   second_conv (Conv1d 2*c2->c3, BN, ReLU, Conv1d c3->encoder_dim), max over K  [B, G, encoder_dim]
//   encoder2trans -> + pos_embed(center) (Linear 3->128, GELU, Linear 128->D); [cls; tokens] + [cls_pos; pos]
//   Eva blocks (pre-LN, no RoPE: Uni3D calls blk(x) without rope; no layer scale; drop-path/patch dropout
//   are identities at inference) -> x[:, 0] -> visual.norm (Identity in the release: timm's
//   global_pool='avg') -> visual.fc_norm -> trans2embed                      [B, embed_dim]
//   BatchNorm uses its running statistics (eval mode); LayerNorm eps 1e-6 (timm Eva), BatchNorm eps 1e-5.
//
// Configurations (trans_dim / depth / heads / MLP from timm eva.py's model functions named by Uni3D's
// scripts/inference.sh and the brief §4.2 table; group and embedding sizes from inference.sh and
// Inst3D's scripts/3d_feature_extraction.sh, common to every size):
//
//   name  timm pc_model               D     depth heads  MLP (hidden)                         qkv
//   g     eva_giant_patch14_560       1408  40    16     fc1 GELU fc2 (6144)                   fused + q_bias, v_bias
//   l     eva02_large_patch14_448     1024  24    16     SwiGLU fc1_g, fc1_x, mlp.norm (2730)  q_proj(b), k_proj, v_proj(b)
//   b     eva02_base_patch14_448      768   12    12     SwiGLU fc1_g, fc1_x, mlp.norm (2048)  q_proj(b), k_proj, v_proj(b)
//   s     eva02_small_patch14_224     384   12    6      packed GLU fc1 = [gate; value] (1024) fused + q_bias, v_bias
//   ti    eva02_tiny_patch14_224      192   12    3      packed GLU fc1 = [gate; value] (512)  fused + q_bias, v_bias
//   all:  num_group 512, group_size 64, pc_encoder_dim 512, embed_dim 1024, PointNet 128/256/512, pos 128.
//   tiny, tiny-l, tiny-s: test configs with g's, l's and s's block (D 32, depth 2, 16 groups of 16,
//   embed 24, PointNet 16/32/64, encoder 40, pos 16); tools/uni3d_reference.py writes their goldens.
//
// Hidden sizes are int(D * mlp_ratio) as timm computes them (6144/1408 for g, 4*2/3 for EVA02). The
// released Uni3D checkpoints are g, l and b; s and ti follow the same code with the timm model above.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace at {
class Tensor;
}

namespace inst3d {

enum class Uni3dMlp {
    Gelu,       // EVA-01: mlp.fc1 -> GELU -> mlp.fc2
    SwiGlu,     // EVA02 L/B (timm SwiGLU, scale_mlp): silu(mlp.fc1_g) * mlp.fc1_x -> mlp.norm -> mlp.fc2
    PackedGlu,  // EVA02 S/Ti (timm GluMlp, gate first): mlp.fc1 -> [gate, value] -> silu(gate) * value -> mlp.fc2
};

struct Uni3dConfig {
    std::string name;           // "g", "l", "b", "s", "ti", "tiny", "tiny-l", "tiny-s"
    int64_t transDim = 1408;    // pc_feat_dim, the Eva width D
    int64_t depth = 40;
    int64_t heads = 16;
    int64_t mlpHidden = 6144;   // Eva MLP hidden width (per branch for the GLU kinds)
    Uni3dMlp mlp = Uni3dMlp::Gelu;
    bool qkvFused = true;       // attn.qkv + q_bias/v_bias; else attn.q_proj/k_proj/v_proj
    int64_t numGroup = 512;     // G, FPS centers
    int64_t groupSize = 64;     // K, points per group
    int64_t encoderDim = 512;   // pc_encoder_dim
    int64_t embedDim = 1024;    // output width
    int64_t pnDim1 = 128, pnDim2 = 256, pnDim3 = 512;  // PointNet widths (fixed in Uni3D; small in tests)
    int64_t posHidden = 128;    // pos_embed hidden width (fixed in Uni3D)
    double lnEps = 1e-6, bnEps = 1e-5;

    // One of names(); Error otherwise.
    static Uni3dConfig named(const std::string& name);
    static std::vector<std::string> names();
};

// pointnet2_ops' furthest_point_sample (sampling_gpu.cu, the CUDA op Uni3D calls), reproduced exactly:
// index 0 first; then the point with the largest distance to the chosen set; points with
// x*x + y*y + z*z <= 1e-3 are never chosen after the first (the kernel skips them); ties resolve as the
// kernel's one block of T = opt_n_threads(n) threads does (each thread keeps its first k = t, t+T, ...;
// the shared-memory tree keeps the left slot, i.e. the thread with the smallest bit-reversed id). With
// fewer candidates than m the kernel repeats: every remaining distance is 0, so the tie rule picks.
// xyz: n points, x y z interleaved, n >= 1. Returns m indices.
std::vector<int64_t> farthestPointSample(const float* xyz, int64_t n, int64_t m);

// Inst3D's per-instance input (get_3D_features.py extract_3d_feat): xyz - mean, divided by the largest
// norm (unit sphere; left at 0 when every point coincides, where the reference divides by zero),
// rgb / 255, then the whole cloud repeated (concatenated with itself) while it has fewer than
// `minPoints` points. All points are used: Inst3D does not subsample to --npoints. Computed in double,
// stored as float. xyz: P*3 axis-aligned coordinates, rgb: P*3 bytes.
struct Uni3dInput {
    std::vector<float> xyz;  // [N*3]
    std::vector<float> rgb;  // [N*3], 0..1
    int64_t numPoints = 0;   // N
};
Uni3dInput prepareUni3dInstance(const std::vector<float>& xyz, const std::vector<uint8_t>& rgb, int64_t minPoints);

class Uni3dEncoder {
public:
    // The reference skips instances with fewer points (no feature is written for them).
    static constexpr int64_t kMinInstancePoints = 10;

    // Reads a safetensors file in the released layout (weights-and-formats §1e): keys under
    // "module.point_encoder.", "point_encoder." or none (a bare PointcloudEncoder state dict). Other keys
    // (logit_scale, the image model's patch_embed / pos_embed / cls_token / head, BatchNorm
    // num_batches_tracked) are ignored. Any float dtype, converted to fp32. Missing or misshapen tensors,
    // or more blocks than config.depth: Error naming the tensor and the file.
    // `device`: "cpu", "cuda", "cuda:N" (models/weights/torch_device.h); FPS stays on the CPU (it is
    // sequential), grouping and the network run there.
    static std::unique_ptr<Uni3dEncoder> load(const std::string& path, const Uni3dConfig& config,
                                              const std::string& device = "cpu");
    // Random weights in the same layout (linear weights uniform with std 1/sqrt(fan_in), norms at 1/0,
    // BatchNorm running mean 0 / var 1, cls tokens std 0.02), for tests and benchmarks.
    static std::unique_ptr<Uni3dEncoder> random(const Uni3dConfig& config, uint64_t seed = 0,
                                                const std::string& device = "cpu");
    // "random:<config>" -> random(named(config)); otherwise load(spec, named(configName)).
    static std::unique_ptr<Uni3dEncoder> open(const std::string& spec, const std::string& configName = "g",
                                              const std::string& device = "cpu");
    ~Uni3dEncoder();

    const Uni3dConfig& config() const;
    std::string device() const;  // "cpu", "cuda:0", ...
    // The weights under their released names ("point_encoder." + key), as load() reads them.
    std::vector<std::pair<std::string, at::Tensor>> stateDict() const;

    // xyz [B, N, 3] float (unit-sphere coordinates), rgb [B, N, 3] float 0..1, N >= groupSize
    // -> [B, embedDim] fp32 on the model's device. Wrong shapes: Error.
    at::Tensor encode(const at::Tensor& xyz, const at::Tensor& rgb) const;
    // Training (training/encoder_pretrain.h): encode() with autograd on, the tensors that learn (every
    // weight but BatchNorm's running statistics, which stay as they are: BatchNorm runs in eval mode in
    // training too), and save() in the released layout, which load() and `inst3d extract --uni3d` read.
    at::Tensor encodeWithGrad(const at::Tensor& xyz, const at::Tensor& rgb) const;
    std::vector<at::Tensor> trainableParameters() const;
    void save(const std::string& path) const;  // safetensors, "point_encoder." names, fp32, atomic

    // The FPS center indices encode() uses: xyz [B, N, 3] -> [B, G] int64.
    at::Tensor fpsIndices(const at::Tensor& xyz) const;

    // One raw instance (P*3 axis-aligned xyz, P*3 rgb bytes) -> embedDim floats, through
    // prepareUni3dInstance(…, config().groupSize) (Inst3D repeats below 64 = group_size of every
    // released config). Fewer than kMinInstancePoints points: an empty vector, as the reference skips them.
    std::vector<float> encodeInstance(const std::vector<float>& xyz, const std::vector<uint8_t>& rgb) const;

private:
    Uni3dEncoder();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace inst3d
