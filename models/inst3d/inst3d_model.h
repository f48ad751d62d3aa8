// The Inst3D-LMM scene encoder (docs/model.md): per-object Uni3D + CLIP features and box centres in,
// three LLM-width tokens per object out (instance, relation-aware scene, MCMF-fused), plus the token
// layouts that interleave them with the <OBJ###> identifier embeddings. The LLM itself is
// models/llm/llama_model.h; models/inst3d/sequence.h splices the two. <torch/torch.h> stays out.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/inst3d/inst3d_config.h"
#include "models/inst3d/weights.h"

namespace inst3d {


struct ObjectTokens {
    std::vector<at::Tensor> parts;  // f3s [B,N,dim_3d], f2s [B,N,dim_2d], tok3d, tokScene, fused [B,N,dim_llm]
    const at::Tensor& f3s() const { return parts[0]; }
    const at::Tensor& f2s() const { return parts[1]; }
    const at::Tensor& tok3d() const { return parts[2]; }
    const at::Tensor& tokScene() const { return parts[3]; }
    const at::Tensor& fused() const { return parts[4]; }
};

class Inst3dModel {
public:
    // Random weights drawn from `seed` on the CPU (docs/model.md's init), then moved to `device`.
    static std::unique_ptr<Inst3dModel> random(const Inst3dConfig& config, uint64_t seed = 0,
                                               const std::string& device = "cpu");
    // A safetensors file with every tensor of inst3dLayout(config): missing, extra or misshapen tensors
    // are errors naming the file and the tensor (a checkpoint of another configuration is refused).
    static std::unique_ptr<Inst3dModel> load(const std::string& path, const Inst3dConfig& config,
                                             const std::string& device = "cpu");
    void save(const std::string& path) const;  // atomic, CPU copies, fp32
    ~Inst3dModel();

    const Inst3dConfig& config() const;
    const Inst3dWeights& weights() const;
    std::vector<at::Tensor> trainableParameters() const;  // requires_grad after setTraining(true)
    void setTraining(bool on);                           // dropout on, parameters require grad
    std::string device() const;

    // Steps 1-6 of docs/model.md for a padded batch: uni3d [B, N, dim_3d], clip [B, N, dim_2d] (mean
    // crop feature), centers [B, N, 3], valid [B, N]; with view_fusion: views also every crop, crops
    // [B, N, C, dim_2d] and cropValid [B, N, C]. Error when a scene has no valid object, or when the
    // configuration fuses views and no crops are given.
    ObjectTokens encode(const at::Tensor& uni3d, const at::Tensor& clip, const at::Tensor& centers,
                        const at::Tensor& valid, const at::Tensor& crops = {}, const at::Tensor& cropValid = {}) const;

    // The object part of the LLM input for scene `b` (step 7): one segment (interleaved) or two (slots),
    // each [T_k, dim_llm]. `order` lists the objects' ranks (valid ones) in sequence order; idEmbeds
    // [identifier_tokens, dim_llm] are the LLM's <OBJ000>.. embedding rows.
    std::vector<at::Tensor> objectSegments(const ObjectTokens& tokens, int64_t b, const std::vector<int64_t>& order,
                                           const at::Tensor& idEmbeds, TokenLayout layout) const;

private:
    Inst3dModel();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace inst3d
