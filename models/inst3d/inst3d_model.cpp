#include "models/inst3d/inst3d_model.h"

#include <torch/torch.h>

#include <cmath>
#include <set>

#include "core/common/error.h"
#include "models/inst3d/isr.h"
#include "models/inst3d/layers.h"
#include "models/inst3d/mcmf.h"
#include "models/weights/torch_device.h"
#include "models/weights/torch_weights.h"

namespace inst3d {

struct Inst3dModel::Impl {
    Inst3dConfig config;
    Inst3dWeights weights;
    torch::Device device = torch::kCPU;
    bool training = false;
};

Inst3dModel::Inst3dModel() : impl_(std::make_unique<Impl>()) {}
Inst3dModel::~Inst3dModel() = default;

namespace {

constexpr double kBiasStd = 0.02;    // biases start small but non-zero
constexpr double kNormalizeEps = 1e-12;  // F.normalize's default

// F.normalize(x, dim=-1): x / max(|x|, eps), so an all-zero (missing) feature stays zero.
torch::Tensor l2Normalize(const torch::Tensor& x) { return x / x.norm(2, -1, true).clamp_min(kNormalizeEps); }

torch::Tensor randomTensor(const WeightSpec& s, at::Generator& gen) {
    switch (s.init) {
        case Init::Matrix: {  // uniform with std 1/sqrt(fan_in), as nn.Linear's kaiming-uniform scale
            const double a = std::sqrt(3.0 / double(s.shape.back()));
            return torch::rand(s.shape, gen) * (2 * a) - a;
        }
        case Init::Bias: return at::normal(0.0, kBiasStd, s.shape, gen);
        case Init::NormWeight: return torch::ones(s.shape);
        case Init::Normal: return at::normal(0.0, 1.0, s.shape, gen);  // Fourier matrix, global tokens: randn
    }
    return {};
}

}  // namespace

std::unique_ptr<Inst3dModel> Inst3dModel::random(const Inst3dConfig& config, uint64_t seed, const std::string& device) {
    std::unique_ptr<Inst3dModel> m(new Inst3dModel());
    m->impl_->config = config;
    m->impl_->device = parseTorchDevice(device);
    at::Generator gen = at::detail::createCPUGenerator(seed);
    for (const WeightSpec& s : inst3dLayout(config)) m->impl_->weights.set(s.name, randomTensor(s, gen).to(m->impl_->device));
    return m;
}

std::unique_ptr<Inst3dModel> Inst3dModel::load(const std::string& path, const Inst3dConfig& config, const std::string& device) {
    std::unique_ptr<Inst3dModel> m(new Inst3dModel());
    m->impl_->config = config;
    m->impl_->device = parseTorchDevice(device);
    auto file = std::make_shared<SafetensorsFile>(path);
    const std::vector<WeightSpec> layout = inst3dLayout(config);
    std::set<std::string> expected;
    for (const WeightSpec& s : layout) {
        expected.insert(s.name);
        torch::Tensor t = loadTensorChecked(file, s.name, s.shape);
        m->impl_->weights.set(s.name, t.to(m->impl_->device, torch::kFloat32).clone());
    }
    for (const TensorInfo& t : file->tensors())
        if (!expected.count(t.name))
            fail(path, "tensor '" + t.name + "' is not part of the Inst3D model '" + config.name +
                           "' (a checkpoint of another configuration?)");
    return m;
}

void Inst3dModel::save(const std::string& path) const {
    std::vector<std::pair<std::string, at::Tensor>> cpu;
    for (const auto& [name, t] : impl_->weights.items()) cpu.emplace_back(name, t.detach().to(torch::kCPU).contiguous());
    saveTensors(path, cpu, {{"format", "pt"}, {"inst3d_config", impl_->config.name}});
}

const Inst3dConfig& Inst3dModel::config() const { return impl_->config; }
const Inst3dWeights& Inst3dModel::weights() const { return impl_->weights; }
std::vector<at::Tensor> Inst3dModel::trainableParameters() const { return impl_->weights.trainable(); }
std::string Inst3dModel::device() const { return impl_->device.str(); }

void Inst3dModel::setTraining(bool on) {
    impl_->training = on;
    for (at::Tensor t : impl_->weights.trainable()) t.requires_grad_(on);
}

namespace {

// MCMF's 2D input, normalised (step 1); the crops only when the configuration fuses views.
Mcmf2dInput mcmf2dInput(const Inst3dConfig& c, const torch::Device dev, const at::Tensor& clip, const at::Tensor& crops,
                        const at::Tensor& cropValid, int64_t B, int64_t N) {
    Mcmf2dInput in;
    in.f2 = l2Normalize(clip.to(dev, torch::kFloat32));                                        // [B, N, dim_2d]
    if (c.viewFusion != ViewFusion::Views) return in;
    if (!crops.defined() || !cropValid.defined())
        fail("", "Inst3D model '" + c.name + "' fuses views (view_fusion: views) but was given no per-crop 2D "
                 "features (the feature cache's feat_2d_crops)");
    if (crops.dim() != 4 || crops.size(0) != B || crops.size(1) != N || crops.size(3) != c.dim2d ||
        cropValid.sizes() != crops.sizes().slice(0, 3))
        fail("", "Inst3D model: crops must be [B, N, C, dim_2d] with cropValid [B, N, C]");
    in.crops = l2Normalize(crops.to(dev, torch::kFloat32));                                    // [B, N, C, dim_2d]
    in.cropValid = cropValid.to(dev, torch::kBool);                                            // [B, N, C]
    return in;
}

// token_norm: rms. An LLM-bound token x [dim_llm] becomes x / rms(x) * target, target the RMS of the
// identifier rows, detached so that the normalisation does not pull on them. A zero token (--blind) stays zero.
at::Tensor rmsScaled(const at::Tensor& x, const at::Tensor& target) {
    return x / x.pow(2).mean().sqrt().clamp_min(kNormalizeEps) * target;
}

}  // namespace

ObjectTokens Inst3dModel::encode(const at::Tensor& uni3d, const at::Tensor& clip, const at::Tensor& centers,
                                 const at::Tensor& validIn, const at::Tensor& crops, const at::Tensor& cropValid) const {
    const Inst3dConfig& c = impl_->config;
    const Inst3dWeights& w = impl_->weights;
    const torch::Device dev = impl_->device;
    const at::Tensor valid = validIn.to(dev, torch::kBool);                                  // [B, N]
    if (valid.any(1).logical_not().any().item<bool>()) fail("", "Inst3D model: a scene has no valid object");
    const at::Tensor invalid = ~valid;
    // 1. input normalisation (encode_object_feat)
    at::Tensor f3 = l2Normalize(uni3d.to(dev, torch::kFloat32));                              // [B, N, dim_3d]
    const Mcmf2dInput in2d = mcmf2dInput(c, dev, clip, crops, cropValid, valid.size(0), valid.size(1));
    ObjectTokens out;
    out.parts.resize(5);
    // 2-4. MCMF
    mcmfForward(w, c, f3, in2d, invalid, out.parts[0], out.parts[1], out.parts[4]);
    // 5. instance token
    out.parts[2] = nn::mlp2(w, "object_proj", out.f3s());                                     // [B, N, dim_llm]
    // 6. 3D-ISR, then the scene projector
    at::Tensor rel = isrForward(w, c, out.f3s(), out.f2s(), centers.to(dev, torch::kFloat32), valid, impl_->training);
    out.parts[3] = nn::mlp2(w, "scene_proj", rel);                                            // [B, N, dim_llm]
    return out;
}

std::vector<at::Tensor> Inst3dModel::objectSegments(const ObjectTokens& t, int64_t b, const std::vector<int64_t>& order,
                                                    const at::Tensor& idEmbeds, TokenLayout layout) const {
    const int64_t N = t.tok3d().size(1);
    for (int64_t j : order)
        if (j < 0 || j >= N || j >= idEmbeds.size(0))
            fail("", "Inst3D model: object rank " + std::to_string(j) + " outside the scene's " + std::to_string(N) +
                         " slots / " + std::to_string(idEmbeds.size(0)) + " identifier tokens");
    const at::Tensor ids = idEmbeds.to(impl_->device);
    const bool fuse = impl_->config.fuseWithId;
    const bool rms = impl_->config.tokenRmsNorm;
    const at::Tensor target = rms ? ids.detach().pow(2).mean().sqrt() : at::Tensor();        // scalar
    auto rows = [&](const std::vector<const at::Tensor*>& kinds) {
        std::vector<at::Tensor> seq;
        for (int64_t j : order) {
            if (!fuse) seq.push_back(ids[j].unsqueeze(0));                                     // E(<OBJ j>)
            for (const at::Tensor* k : kinds) {
                const at::Tensor tok = rms ? rmsScaled((*k)[b][j], target) : (*k)[b][j];      // [dim_llm]
                seq.push_back((fuse ? ids[j] + tok : tok).unsqueeze(0));                       // fuse_with_id: E(<OBJ j>) + token
            }
        }
        return at::cat(seq, 0);                                                                  // [T, dim_llm]
    };
    if (layout == TokenLayout::Interleaved) return {rows({&t.tok3d(), &t.tokScene(), &t.fused()})};
    return {rows({&t.tok3d(), &t.fused()}), rows({&t.tokScene()})};
}

}  // namespace inst3d
