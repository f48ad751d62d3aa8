// Chat-Scene's released checkpoint in the project's runtime (docs/model.md, "Chat-Scene compatibility";
// Chat-Scene dev models/chat3d.py): no MCMF / 3D-ISR, two projectors
//   object_proj     = Linear(d3, H), GELU, Linear(H, H)   on L2-normalised 3D (Uni3D) features
//   object_img_proj = Linear(d2, H), GELU, Linear(H, H)   on L2-normalised 2D features
// and 3 LLM tokens per object slot, every slot valid (missing objects have zero features):
//   k-th group = [E(<OBJ k>), object_proj(f3[assigned[k]]), object_img_proj(f2[assigned[k]])]
// (assigned = identity at evaluation; a permutation in training, get_object_list_embed).
// The checkpoint is tasks/train.py's torch.save({"model": state_dict minus frozen params, "config":
// utils.easydict.EasyDict, ...}), read with the project's own unpickler (core/io/torch_pickle.h; the
// EasyDict is an opaque dict-like object there). <torch/torch.h> stays out of this header.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/llm/lora.h"

namespace at {
class Tensor;
}

namespace inst3d {

class LlamaModel;

struct ChatSceneLoadOptions {
    // Used only when the checkpoint's config.lora cannot be read (r also follows from lora_A's shape):
    // Chat-Scene's run.sh values.
    double loraAlpha = 16.0;
    double loraDropout = 0.05;
};

struct ChatSceneLoadInfo {
    int64_t maxObjects = 0;                 // the <OBJ k> rows added to the base vocabulary
    int64_t objTokenBase = 0;               // <OBJ k> = objTokenBase + k (the base vocabulary size)
    LoraConfig lora;                        // as attached
    bool loraFromConfig = false;            // r / alpha read from the checkpoint's config.lora
    size_t llmTensors = 0;                  // copied into the LLM (LoRA A/B, embed_tokens, lm_head)
    std::vector<std::string> ignored;       // keys read but unused (pos_embedding.gauss_B, pos_proj.*, ...)
};

class ChatSceneModel {
public:
    // Reads the checkpoint into the projectors and `llm` (the base LLM of config.model.llama_model_path,
    // with its base vocabulary, no LoRA yet): resizeTokenEmbeddings(base + max_obj_num), embeddings made
    // trainable-layout, enableLora (targets = the projections the checkpoint holds LoRA for), then
    // embed_tokens, lm_head and every lora_{A,B} copied in (bf16 values converted to the model dtype).
    // Errors name the file: missing or misshapen keys, LLaMA keys that match no tensor of the model.
    static std::unique_ptr<ChatSceneModel> load(const std::string& ckptPath, LlamaModel& llm,
                                                const ChatSceneLoadOptions& options = {});
    ~ChatSceneModel();

    const ChatSceneLoadInfo& info() const;
    int64_t dim3d() const;
    int64_t dim2d() const;
    int64_t maxObjects() const { return info().maxObjects; }

    // Raw features [N, d3] / [N, d2] (any float dtype, any device) -> [N, H] fp32 on the LLM's device.
    at::Tensor projectObjects(const at::Tensor& f3) const;
    at::Tensor projectImages(const at::Tensor& f2) const;

    // The object segment [3 K, H] fp32 for K = assigned.size() groups, group k as in the header comment.
    // f3 [N, d3], f2 [N, d2] raw; assigned values in [0, N). `llm` is the one load() filled.
    at::Tensor objectTokens(const LlamaModel& llm, const at::Tensor& f3, const at::Tensor& f2,
                            const std::vector<int64_t>& assigned) const;

private:
    ChatSceneModel();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace inst3d
