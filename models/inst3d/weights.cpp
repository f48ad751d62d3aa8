#include "models/inst3d/weights.h"

#include <torch/torch.h>

#include "core/common/error.h"

namespace inst3d {

namespace {

void add(std::vector<WeightSpec>& out, const std::string& prefix, int64_t outDim, int64_t inDim, bool bias = true) {
    out.push_back({prefix + ".weight", {outDim, inDim}, Init::Matrix});
    if (bias) out.push_back({prefix + ".bias", {outDim}, Init::Bias});
}

void addNorm(std::vector<WeightSpec>& out, const std::string& prefix, int64_t dim) {
    out.push_back({prefix + ".weight", {dim}, Init::NormWeight});
    out.push_back({prefix + ".bias", {dim}, Init::Bias});
}

void addMlp2(std::vector<WeightSpec>& out, const std::string& prefix, int64_t in, int64_t hidden, int64_t outDim) {
    add(out, prefix + ".0", hidden, in);
    add(out, prefix + ".2", outDim, hidden);
}

void addMha(std::vector<WeightSpec>& out, const std::string& prefix, int64_t dim) {
    out.push_back({prefix + ".in_proj_weight", {3 * dim, dim}, Init::Matrix});
    out.push_back({prefix + ".in_proj_bias", {3 * dim}, Init::Bias});
    add(out, prefix + ".out_proj", dim, dim);
}

// MCMF: 3D self-attention, the 2D attention with the learnable global token, cross-attention 3D -> 2D.
void addMcmf(std::vector<WeightSpec>& out, const Inst3dConfig& c) {
    addMha(out, "mcmf.self_attn_3d", c.dim3d);
    for (const char* p : {"query", "key", "value", "out"}) add(out, std::string("mcmf.self_attn_2d.") + p, c.dim2d, c.dim2d);
    out.push_back({"mcmf.self_attn_2d.global_key", {1, 1, c.dim2d}, Init::Normal});
    out.push_back({"mcmf.self_attn_2d.global_value", {1, 1, c.dim2d}, Init::Normal});
    add(out, "mcmf.cross_attn.query", c.dim3d, c.dim3d, false);
    addMlp2(out, "mcmf.cross_attn.key", c.dim2d, c.dim3d, c.dim3d);
    addMlp2(out, "mcmf.cross_attn.value", c.dim2d, c.dim3d, c.dim3d);
    addMha(out, "mcmf.cross_attn.attn", c.dim3d);
    add(out, "mcmf.cross_attn.fc", c.dimLlm, c.dim3d);
}

// 3D-ISR: input projections, Fourier positions, vil3dref spatial layers, the relation encoder.
void addIsr(std::vector<WeightSpec>& out, const Inst3dConfig& c) {
    const int64_t S = c.dimScene;
    add(out, "isr.img2obj_proj", c.dim3d, c.dim2d);
    add(out, "isr.scene_init_proj", S, c.dim3d);
    out.push_back({"isr.pos_embedding.gauss_B", {3, S / 2}, Init::Normal});
    add(out, "isr.pos_proj", S, S);
    for (int i = 0; i < c.spatialLayers; ++i) {
        const std::string p = "isr.spatial." + std::to_string(i) + ".";
        addNorm(out, p + "norm1", S);
        addNorm(out, p + "norm3", S);
        for (const char* n : {"w_qs", "w_ks", "w_vs", "fc"}) add(out, p + "self_attn." + n, S, S);
        addNorm(out, p + "self_attn.layer_norm", S);
        add(out, p + "self_attn.pairwise_loc_fc", c.spatialHeads, 5);
        add(out, p + "linear1", c.spatialFfn, S);
        add(out, p + "linear2", S, c.spatialFfn);
    }
    for (int i = 0; i < c.relationLayers; ++i) {
        const std::string p = "isr.relation.layers." + std::to_string(i) + ".";
        addMha(out, p + "self_attn", S);
        add(out, p + "linear1", c.relationFfn, S);
        add(out, p + "linear2", S, c.relationFfn);
        addNorm(out, p + "norm1", S);
        addNorm(out, p + "norm2", S);
    }
}

}  // namespace

std::vector<WeightSpec> inst3dLayout(const Inst3dConfig& c) {
    std::vector<WeightSpec> out;
    addMcmf(out, c);
    addMlp2(out, "object_proj", c.dim3d, c.dimLlm, c.dimLlm);
    addIsr(out, c);
    addMlp2(out, "scene_proj", c.dimScene, c.dimLlm, c.dimLlm);
    return out;
}

Inst3dWeights::Inst3dWeights() : tensors_(new std::map<std::string, at::Tensor>()) {}
Inst3dWeights::~Inst3dWeights() { delete tensors_; }
Inst3dWeights::Inst3dWeights(Inst3dWeights&& o) noexcept : tensors_(o.tensors_), order_(std::move(o.order_)) {
    o.tensors_ = new std::map<std::string, at::Tensor>();
}
Inst3dWeights& Inst3dWeights::operator=(Inst3dWeights&& o) noexcept {
    std::swap(tensors_, o.tensors_);
    std::swap(order_, o.order_);
    return *this;
}

const at::Tensor& Inst3dWeights::operator[](const std::string& name) const {
    auto it = tensors_->find(name);
    if (it == tensors_->end()) fail("", "Inst3D model: no tensor '" + name + "'");
    return it->second;
}

void Inst3dWeights::set(const std::string& name, const at::Tensor& t) {
    if (!tensors_->count(name)) order_.push_back(name);
    (*tensors_)[name] = t;
}

std::vector<std::pair<std::string, at::Tensor>> Inst3dWeights::items() const {
    std::vector<std::pair<std::string, at::Tensor>> out;
    for (const std::string& n : order_) out.emplace_back(n, tensors_->at(n));
    return out;
}

std::vector<at::Tensor> Inst3dWeights::trainable() const {
    std::vector<at::Tensor> out;
    for (const std::string& n : order_)
        if (n != "isr.pos_embedding.gauss_B") out.push_back(tensors_->at(n));
    return out;
}

}  // namespace inst3d
