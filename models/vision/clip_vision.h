// CLIP vision tower + projection (transformers' CLIPVisionModelWithProjection / CLIPModel.get_image_features)
// in LibTorch, fp32, for Inst3D's 2D crop features (OpenMask3D step 8: crop -> CLIPImageProcessor ->
// get_image_features -> L2-normalise). <torch/torch.h> stays out of this header (pimpl; at::Tensor
// forward-declared).
//
// Forward (weights-and-formats §1c):
//   pixels [B, 3, S, S] -> Conv2d(patch, stride patch, no bias) -> [B, D, g, g] -> [B, g*g, D]
//   [class_embedding; patches] + position_embedding                        [B, T = g*g + 1, D]
//   pre_layrnorm (HF's spelling) -> L pre-LN blocks:
//     x += out_proj(softmax((q_proj(ln1 x) * hd^-0.5) k_proj(ln1 x)^T) v_proj(ln1 x))
//     x += fc2(act(fc1(ln2 x)))          act = quick_gelu x*sigmoid(1.702x) (OpenAI CLIP) or gelu (erf)
//   post_layernorm(x[:, 0]) -> visual_projection (no bias)                 [B, P]
// LayerNorm eps = layer_norm_eps. ViT-L/14-336: S 336, patch 14, D 1024, 24 layers, 16 heads, MLP 4096,
// T 577, P 768.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/features/extraction.h"
#include "models/vision/clip_preprocess.h"

namespace at {
class Tensor;
}

namespace inst3d {

struct ClipVisionConfig {
    // transformers' CLIPVisionConfig defaults (ViT-B/32) for keys a config.json leaves out.
    int64_t imageSize = 224;
    int64_t patchSize = 32;
    int64_t hiddenSize = 768;
    int64_t intermediateSize = 3072;
    int64_t numLayers = 12;
    int64_t numHeads = 12;
    int64_t projectionDim = 512;
    double layerNormEps = 1e-5;
    std::string hiddenAct = "quick_gelu";  // or "gelu"

    int64_t gridSize() const { return imageSize / patchSize; }
    int64_t numPositions() const { return gridSize() * gridSize() + 1; }

    // config.json: a CLIPVisionConfig (model_type clip_vision_model) or a full CLIPConfig (model_type
    // clip) whose `vision_config` holds the tower; then the top-level `projection_dim` sizes the
    // projection, as in CLIPModel (falling back to vision_config's). Other model types: Error.
    static ClipVisionConfig fromJson(const std::string& text, const std::string& path);
    static ClipVisionConfig load(const std::string& path);
    // "vit-l-14-336" (Inst3D's openai/clip-vit-large-patch14-336), "tiny" (tests: image 56, patch 14,
    // D 64, MLP 128, 2 layers, 4 heads, projection 32). Error for other names.
    static ClipVisionConfig named(const std::string& name);
};

class ClipVision {
public:
    // DIR/config.json, the checkpoint (models/weights/checkpoint_files.h: model.safetensors, shards,
    // pytorch_model.bin), DIR/preprocessor_config.json when present (else
    // ClipPreprocessConfig::forImageSize(image_size)). A CLIPModel checkpoint works too: text_model.*,
    // text_projection and logit_scale are never read, nor the legacy position_ids buffer. Any float
    // dtype, converted to fp32. Missing or misshapen tensors: Error naming the tensor and the file.
    // `device`: "cpu", "cuda", "cuda:N" (models/weights/torch_device.h).
    static std::unique_ptr<ClipVision> load(const std::string& dir, const std::string& device = "cpu");
    // Random weights in the same layout (linear/conv weights uniform with std 1/sqrt(fan_in), biases 0,
    // norms 1/0, class and position embeddings std 0.02), preprocessing forImageSize(image_size).
    static std::unique_ptr<ClipVision> random(const ClipVisionConfig& config, uint64_t seed = 0,
                                              const std::string& device = "cpu");
    ~ClipVision();

    const ClipVisionConfig& config() const;
    const ClipPreprocessConfig& preprocessing() const;
    // The weights file (or shard index) load() read; empty for random weights.
    const std::string& weightsPath() const;
    std::string device() const;  // "cpu", "cuda:0", ...
    // The weights under their HF names (vision_model.*, visual_projection.weight), as load() reads them.
    std::vector<std::pair<std::string, at::Tensor>> stateDict() const;

    // get_image_features: pixel_values [B, 3, S, S] float (any device) -> [B, P] fp32 on the model's
    // device, not normalised.
    // lastHiddenState, when given, receives the encoder output [B, T, D] (before post_layernorm).
    // Wrong shapes: Error.
    at::Tensor imageFeatures(const at::Tensor& pixelValues, at::Tensor* lastHiddenState = nullptr) const;

private:
    ClipVision();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// CropEncoder for feature extraction: each crop through clipPreprocess (PIL-exact CLIPImageProcessor),
// batches of `batchSize` through ClipVision::imageFeatures, then each feature divided by its L2 norm
// (OpenMask3D / Inst3D's `feat / feat.norm(dim=-1, keepdim=True)`; clamped at 1e-12 against 0/0).
class ClipCropEncoder : public CropEncoder {
public:
    ClipCropEncoder(std::unique_ptr<ClipVision> model, std::string name, std::string checkpoint, int batchSize = 16);
    // "random:<config>[:<seed>]" (named() configs, e.g. random:tiny) or a checkpoint folder for load();
    // the checkpoint string is then a fingerprint of its weights file (or index).
    static std::unique_ptr<ClipCropEncoder> open(const std::string& spec, int batchSize = 16,
                                                 const std::string& device = "cpu");
    ~ClipCropEncoder() override;

    std::string name() const override { return name_; }
    std::string checkpoint() const override { return checkpoint_; }
    int dim() const override;
    // Crops -> one unit [dim] feature each. An empty crop (0 width or height): Error.
    std::vector<std::vector<float>> encode(const std::vector<ImageRGB8>& crops) override;

    const ClipVision& model() const { return *model_; }

private:
    std::unique_ptr<ClipVision> model_;
    std::string name_, checkpoint_;
    int batchSize_;
};

}  // namespace inst3d
