#include "models/vision/clip_vision.h"

#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cstring>
#include <tuple>
#include <nlohmann/json.hpp>

#include "core/common/error.h"
#include "core/common/file_util.h"
#include "core/io/json_file.h"
#include "core/features/feature_cache.h"
#include "models/weights/checkpoint_files.h"
#include "models/weights/torch_device.h"

namespace inst3d {

// ---- config ------------------------------------------------------------------------------------------

ClipVisionConfig ClipVisionConfig::fromJson(const std::string& text, const std::string& path) {
    const nlohmann::json j = parseJsonObject(text, path, "config.json");
    const std::string type = j.value("model_type", std::string());
    if (!type.empty() && type != "clip" && type != "clip_vision_model")
        fail(path, "model_type '" + type + "' is not a CLIP model (clip or clip_vision_model)");
    // A full CLIPConfig nests the tower; CLIPModel sizes visual_projection with the top-level projection_dim.
    const bool nested = j.contains("vision_config") && j["vision_config"].is_object();
    const nlohmann::json& v = nested ? j["vision_config"] : j;
    ClipVisionConfig c;
    try {
        c.imageSize = v.value("image_size", c.imageSize);
        c.patchSize = v.value("patch_size", c.patchSize);
        c.hiddenSize = v.value("hidden_size", c.hiddenSize);
        c.intermediateSize = v.value("intermediate_size", c.intermediateSize);
        c.numLayers = v.value("num_hidden_layers", c.numLayers);
        c.numHeads = v.value("num_attention_heads", c.numHeads);
        c.layerNormEps = v.value("layer_norm_eps", c.layerNormEps);
        c.hiddenAct = v.value("hidden_act", c.hiddenAct);
        c.projectionDim = v.value("projection_dim", c.projectionDim);
        if (nested && j.contains("projection_dim")) c.projectionDim = j["projection_dim"].get<int64_t>();
        if (v.value("num_channels", int64_t(3)) != 3) fail(path, "num_channels must be 3 (RGB)");
    } catch (const nlohmann::json::exception& e) {
        fail(path, std::string("bad field type: ") + e.what());
    }
    if (c.hiddenAct != "quick_gelu" && c.hiddenAct != "gelu")
        fail(path, "hidden_act '" + c.hiddenAct + "' is not supported (quick_gelu or gelu)");
    if (c.imageSize <= 0 || c.patchSize <= 0 || c.hiddenSize <= 0 || c.intermediateSize <= 0 || c.numLayers <= 0 ||
        c.numHeads <= 0 || c.projectionDim <= 0 || c.gridSize() <= 0)
        fail(path, "sizes must be positive (and image_size >= patch_size)");
    if (c.hiddenSize % c.numHeads != 0) fail(path, "hidden_size is not a multiple of num_attention_heads");
    return c;
}

ClipVisionConfig ClipVisionConfig::load(const std::string& path) { return fromJson(readTextFile(path), path); }

ClipVisionConfig ClipVisionConfig::named(const std::string& name) {
    ClipVisionConfig c;
    if (name == "vit-l-14-336") {
        c.imageSize = 336, c.patchSize = 14, c.hiddenSize = 1024, c.intermediateSize = 4096;
        c.numLayers = 24, c.numHeads = 16, c.projectionDim = 768;
    } else if (name == "tiny") {
        c.imageSize = 56, c.patchSize = 14, c.hiddenSize = 64, c.intermediateSize = 128;
        c.numLayers = 2, c.numHeads = 4, c.projectionDim = 32;
    } else {
        fail("", "unknown CLIP config '" + name + "' (vit-l-14-336 or tiny)");
    }
    return c;
}

// ---- model -------------------------------------------------------------------------------------------

namespace {

struct Block {
    torch::Tensor ln1w, ln1b, ln2w, ln2b;  // [D]
    torch::Tensor wq, bq, wk, bk, wv, bv;  // [D, D], [D]
    torch::Tensor wo, bo;                  // [D, D], [D]
    torch::Tensor w1, b1;                  // [F, D], [F]
    torch::Tensor w2, b2;                  // [D, F], [D]
};

}  // namespace

struct ClipVision::Impl {
    ClipVisionConfig cfg;
    ClipPreprocessConfig pre;
    std::string weightsPath;     // file or index read; empty for random weights
    torch::Device device = torch::kCPU;
    torch::Tensor classEmbed;    // [D]
    torch::Tensor patchWeight;   // [D, 3, p, p]
    torch::Tensor posEmbed;      // [T, D]
    torch::Tensor preLnW, preLnB, postLnW, postLnB;  // [D]
    torch::Tensor proj;          // [P, D]
    std::vector<Block> blocks;

    // Every tensor with its HF name and expected shape, in checkpoint order; load/random/stateDict share it.
    std::vector<std::tuple<std::string, torch::Tensor*, std::vector<int64_t>>> layout() {
        const int64_t D = cfg.hiddenSize, F = cfg.intermediateSize, p = cfg.patchSize;
        std::vector<std::tuple<std::string, torch::Tensor*, std::vector<int64_t>>> out = {
            {"vision_model.embeddings.class_embedding", &classEmbed, {D}},
            {"vision_model.embeddings.patch_embedding.weight", &patchWeight, {D, 3, p, p}},
            {"vision_model.embeddings.position_embedding.weight", &posEmbed, {cfg.numPositions(), D}},
            {"vision_model.pre_layrnorm.weight", &preLnW, {D}},
            {"vision_model.pre_layrnorm.bias", &preLnB, {D}},
        };
        blocks.resize(size_t(cfg.numLayers));
        for (int64_t i = 0; i < cfg.numLayers; ++i) {
            const std::string n = "vision_model.encoder.layers." + std::to_string(i) + ".";
            Block& b = blocks[size_t(i)];
            out.insert(out.end(), {
                {n + "self_attn.q_proj.weight", &b.wq, {D, D}}, {n + "self_attn.q_proj.bias", &b.bq, {D}},
                {n + "self_attn.k_proj.weight", &b.wk, {D, D}}, {n + "self_attn.k_proj.bias", &b.bk, {D}},
                {n + "self_attn.v_proj.weight", &b.wv, {D, D}}, {n + "self_attn.v_proj.bias", &b.bv, {D}},
                {n + "self_attn.out_proj.weight", &b.wo, {D, D}}, {n + "self_attn.out_proj.bias", &b.bo, {D}},
                {n + "layer_norm1.weight", &b.ln1w, {D}}, {n + "layer_norm1.bias", &b.ln1b, {D}},
                {n + "mlp.fc1.weight", &b.w1, {F, D}}, {n + "mlp.fc1.bias", &b.b1, {F}},
                {n + "mlp.fc2.weight", &b.w2, {D, F}}, {n + "mlp.fc2.bias", &b.b2, {D}},
                {n + "layer_norm2.weight", &b.ln2w, {D}}, {n + "layer_norm2.bias", &b.ln2b, {D}},
            });
        }
        out.insert(out.end(), {
            {"vision_model.post_layernorm.weight", &postLnW, {D}},
            {"vision_model.post_layernorm.bias", &postLnB, {D}},
            {"visual_projection.weight", &proj, {cfg.projectionDim, D}},
        });
        return out;
    }

    torch::Tensor layerNorm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) const {
        return torch::layer_norm(x, {cfg.hiddenSize}, w, b, cfg.layerNormEps);
    }

    torch::Tensor act(const torch::Tensor& x) const {
        return cfg.hiddenAct == "gelu" ? torch::gelu(x) : x * torch::sigmoid(1.702 * x);  // quick_gelu
    }

    torch::Tensor forward(const torch::Tensor& pixels, torch::Tensor* lastHidden) const {
        const int64_t B = pixels.size(0), D = cfg.hiddenSize, H = cfg.numHeads, hd = D / H;
        const int64_t T = cfg.numPositions();

        // Embeddings: patches, CLS in front, learned positions.
        torch::Tensor patches = torch::conv2d(pixels, patchWeight, {}, cfg.patchSize);  // [B, D, g, g]
        patches = patches.flatten(2).transpose(1, 2);                                   // [B, g*g, D]
        torch::Tensor cls = classEmbed.view({1, 1, D}).expand({B, 1, D});               // [B, 1, D]
        torch::Tensor x = torch::cat({cls, patches}, 1) + posEmbed;                     // [B, T, D]
        x = layerNorm(x, preLnW, preLnB);

        for (const Block& b : blocks) {
            // Attention block (q scaled before the product, as transformers' CLIPAttention)
            torch::Tensor h = layerNorm(x, b.ln1w, b.ln1b);                                          // [B, T, D]
            torch::Tensor q = (torch::linear(h, b.wq, b.bq) * (1.0 / std::sqrt(double(hd))))
                                  .view({B, T, H, hd}).transpose(1, 2);                                // [B, H, T, hd]
            torch::Tensor k = torch::linear(h, b.wk, b.bk).view({B, T, H, hd}).transpose(1, 2);     // [B, H, T, hd]
            torch::Tensor v = torch::linear(h, b.wv, b.bv).view({B, T, H, hd}).transpose(1, 2);     // [B, H, T, hd]
            torch::Tensor probs = torch::softmax(torch::matmul(q, k.transpose(2, 3)), -1);          // [B, H, T, T]
            torch::Tensor att = torch::matmul(probs, v).transpose(1, 2).reshape({B, T, D});         // [B, T, D]
            x = x + torch::linear(att, b.wo, b.bo);

            // MLP block
            h = act(torch::linear(layerNorm(x, b.ln2w, b.ln2b), b.w1, b.b1));                       // [B, T, F]
            x = x + torch::linear(h, b.w2, b.b2);                                                    // [B, T, D]
        }
        if (lastHidden) *lastHidden = x;

        // Pooled CLS -> projection: get_image_features.
        torch::Tensor pooled = layerNorm(x.select(1, 0), postLnW, postLnB);  // [B, D]
        return torch::matmul(pooled, proj.t());                             // [B, P]
    }
};

ClipVision::ClipVision() : impl_(std::make_unique<Impl>()) {}
ClipVision::~ClipVision() = default;

namespace {

// The processor must hand the model S x S pixels, whatever the crop's shape.
void checkPreprocessing(const ClipPreprocessConfig& p, int64_t imageSize, const std::string& path) {
    const bool fixed = p.doCenterCrop ? p.cropHeight == imageSize && p.cropWidth == imageSize
                                      : p.doResize && p.shortestEdge == 0 && p.resizeHeight == imageSize &&
                                            p.resizeWidth == imageSize;
    if (!fixed)
        fail(path, "preprocessing does not produce the model's " + std::to_string(imageSize) + "x" +
                       std::to_string(imageSize) + " input (crop_size / size)");
}

}  // namespace

std::unique_ptr<ClipVision> ClipVision::load(const std::string& dir, const std::string& device) {
    std::unique_ptr<ClipVision> m(new ClipVision());
    Impl& s = *m->impl_;
    s.device = parseTorchDevice(device);
    s.cfg = ClipVisionConfig::load(dir + "/config.json");
    const std::string pp = dir + "/preprocessor_config.json";
    s.pre = ClipPreprocessConfig::forImageSize(int(s.cfg.imageSize));
    if (fileExists(pp)) {
        s.pre = ClipPreprocessConfig::load(pp, s.pre);
        checkPreprocessing(s.pre, s.cfg.imageSize, pp);
    }
    CheckpointFiles files(dir);
    s.weightsPath = files.source();
    for (auto& [name, tensor, shape] : s.layout())
        *tensor = files.get(name, shape).to(s.device, torch::kFloat32).contiguous();
    return m;
}

std::unique_ptr<ClipVision> ClipVision::random(const ClipVisionConfig& config, uint64_t seed, const std::string& device) {
    std::unique_ptr<ClipVision> m(new ClipVision());
    Impl& s = *m->impl_;
    s.device = parseTorchDevice(device);
    s.cfg = config;
    s.pre = ClipPreprocessConfig::forImageSize(int(config.imageSize));
    at::Generator gen = at::detail::createCPUGenerator(seed);
    for (auto& [name, tensor, shape] : s.layout()) {
        const bool isBias = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
        const bool isNorm = name.find("norm") != std::string::npos;
        if (isBias) {
            *tensor = torch::zeros(shape);
        } else if (isNorm) {
            *tensor = torch::ones(shape);
        } else if (name.find("class_embedding") != std::string::npos || name.find("position_embedding") != std::string::npos) {
            *tensor = at::normal(0.0, 0.02, shape, gen);
        } else {  // linear / conv: uniform(-a, a) with std 1/sqrt(fan_in)
            int64_t fanIn = 1;
            for (size_t i = 1; i < shape.size(); ++i) fanIn *= shape[i];
            const double a = std::sqrt(3.0 / double(fanIn));
            *tensor = torch::rand(shape, gen) * (2 * a) - a;
        }
        *tensor = tensor->to(s.device);  // drawn on the CPU: the same numbers on every device
    }
    return m;
}

const ClipVisionConfig& ClipVision::config() const { return impl_->cfg; }
const ClipPreprocessConfig& ClipVision::preprocessing() const { return impl_->pre; }
const std::string& ClipVision::weightsPath() const { return impl_->weightsPath; }
std::string ClipVision::device() const { return impl_->device.str(); }

std::vector<std::pair<std::string, at::Tensor>> ClipVision::stateDict() const {
    std::vector<std::pair<std::string, at::Tensor>> out;
    for (auto& [name, tensor, shape] : impl_->layout()) out.emplace_back(name, *tensor);
    return out;
}

at::Tensor ClipVision::imageFeatures(const at::Tensor& pixelValues, at::Tensor* lastHiddenState) const {
    const int64_t S = impl_->cfg.imageSize;
    if (pixelValues.dim() != 4 || pixelValues.size(1) != 3 || pixelValues.size(2) != S || pixelValues.size(3) != S)
        fail("", "CLIP pixel_values must be [B, 3, " + std::to_string(S) + ", " + std::to_string(S) + "]");
    torch::NoGradGuard noGrad;
    return impl_->forward(pixelValues.to(impl_->device, torch::kFloat32).contiguous(), lastHiddenState);
}

// ---- crop encoder ------------------------------------------------------------------------------------

namespace {

// "clip-vit-l-14-336" for the released shapes; other widths spelled out ("clip-vit-d64-14-56").
std::string encoderName(const ClipVisionConfig& c) {
    std::string size = c.hiddenSize == 768 ? "b" : c.hiddenSize == 1024 ? "l" : c.hiddenSize == 1280 ? "h"
                                                                          : "d" + std::to_string(c.hiddenSize);
    return "clip-vit-" + size + "-" + std::to_string(c.patchSize) + "-" + std::to_string(c.imageSize);
}

}  // namespace

ClipCropEncoder::ClipCropEncoder(std::unique_ptr<ClipVision> model, std::string name, std::string checkpoint,
                                 int batchSize)
    : model_(std::move(model)), name_(std::move(name)), checkpoint_(std::move(checkpoint)),
      batchSize_(std::max(1, batchSize)) {}

ClipCropEncoder::~ClipCropEncoder() = default;

std::unique_ptr<ClipCropEncoder> ClipCropEncoder::open(const std::string& spec, int batchSize, const std::string& device) {
    const std::string kRandom = "random:";
    if (spec.compare(0, kRandom.size(), kRandom) == 0) {
        std::string rest = spec.substr(kRandom.size()), configName = rest;
        uint64_t seed = 0;
        if (size_t colon = rest.find(':'); colon != std::string::npos) {
            configName = rest.substr(0, colon);
            try {
                seed = std::stoull(rest.substr(colon + 1));
            } catch (const std::exception&) {
                fail("", "bad seed in CLIP spec '" + spec + "' (random:<config>[:<seed>])");
            }
        }
        auto model = ClipVision::random(ClipVisionConfig::named(configName), seed, device);
        std::string name = encoderName(model->config());
        return std::make_unique<ClipCropEncoder>(std::move(model), name,
                                                 "random:" + configName + ":" + std::to_string(seed), batchSize);
    }
    auto model = ClipVision::load(spec, device);
    std::string name = encoderName(model->config());
    std::string fingerprint = checkpointFingerprint(model->weightsPath());
    return std::make_unique<ClipCropEncoder>(std::move(model), name, fingerprint, batchSize);
}

int ClipCropEncoder::dim() const { return int(model_->config().projectionDim); }

std::vector<std::vector<float>> ClipCropEncoder::encode(const std::vector<ImageRGB8>& crops) {
    for (size_t i = 0; i < crops.size(); ++i)
        if (crops[i].width <= 0 || crops[i].height <= 0)
            fail("", "CLIP crop " + std::to_string(i) + " is empty (" + std::to_string(crops[i].width) + "x" +
                         std::to_string(crops[i].height) + ")");
    const int64_t S = model_->config().imageSize, P = model_->config().projectionDim;
    std::vector<std::vector<float>> out;
    out.reserve(crops.size());
    for (size_t start = 0; start < crops.size(); start += size_t(batchSize_)) {
        const int64_t n = int64_t(std::min(crops.size() - start, size_t(batchSize_)));
        torch::Tensor pixels = torch::empty({n, 3, S, S});  // [n, 3, S, S]
        for (int64_t i = 0; i < n; ++i) {
            std::vector<float> p = clipPreprocess(crops[start + size_t(i)], model_->preprocessing());
            if (int64_t(p.size()) != 3 * S * S) fail("", "CLIP preprocessing did not give " + std::to_string(S) + "x" + std::to_string(S));
            std::memcpy(pixels[i].data_ptr<float>(), p.data(), p.size() * sizeof(float));
        }
        torch::Tensor feats = model_->imageFeatures(pixels);                      // [n, P]
        feats = feats / feats.norm(2, -1, /*keepdim=*/true).clamp_min(1e-12);   // unit rows
        feats = feats.to(torch::kCPU).contiguous();
        for (int64_t i = 0; i < n; ++i) {
            const float* f = feats[i].data_ptr<float>();
            out.emplace_back(f, f + P);
        }
    }
    return out;
}

}  // namespace inst3d
