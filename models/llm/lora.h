// LoRA adapters for the LLaMA runtime (PEFT 0.9's LoraLayer semantics): a targeted projection W [out, in]
// computes y = W x + (alpha / r) * B(A(dropout(x))), A [r, in] kaiming-uniform(a = sqrt(5)) i.e.
// U(-1/sqrt(in), 1/sqrt(in)), B [out, r] zeros, dropout only in training. The math lives in
// LlamaModel (enableLora, forwardTrain, mergeLora); this file holds the config and PEFT's on-disk layout:
//   DIR/adapter_config.json        {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r", "lora_alpha",
//                                   "lora_dropout", "target_modules", "base_model_name_or_path", "bias": "none"}
//   DIR/adapter_model.safetensors  base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight [r, in],
//                                  ....lora_B.weight [out, r] (mlp.gate_proj / up_proj / down_proj likewise);
//                                  with trained embeddings also base_model.model.model.embed_tokens.weight and
//                                  base_model.model.lm_head.weight (PEFT's save_embedding_layers names).
// Loading also reads DIR/adapter_model.bin (torch.save of the same keys). <torch/torch.h> stays out.
#pragma once
#include <string>
#include <vector>

namespace inst3d {

class LlamaModel;

// Defaults are Inst3D-LMM's (brief §1.7: peft 0.9.0, r=32, lora_alpha=16 so scale 0.5, lora_dropout=0.1,
// bias "none", all seven projections of every layer). Chat-Scene's run.sh uses r=16, alpha=16, 0.05.
struct LoraConfig {
    int r = 32;
    double alpha = 16.0;
    double dropout = 0.1;
    std::vector<std::string> targetModules = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                              "down_proj"};
    std::string baseModel;  // base_model_name_or_path, informative

    double scale() const { return alpha / double(r); }
    bool targets(const std::string& module) const;  // "q_proj", ...
    std::string toJson() const;                     // adapter_config.json
    // Errors (naming `path`): peft_type other than LORA, missing r / lora_alpha, unknown target modules,
    // bias other than "none", fan_in_fan_out, use_rslora / use_dora.
    static LoraConfig fromJson(const std::string& json, const std::string& path);
};

// Writes adapter_config.json and adapter_model.safetensors for `model`'s LoRA tensors (Error when the
// model has no LoRA). DIR is created.
void saveLoraAdapter(const LlamaModel& model, const std::string& dir);
// Reads DIR's adapter (safetensors, else adapter_model.bin) and attaches it: enableLora with its config,
// then A/B (and embeddings when present) copied in. Missing or misshapen tensors: Error naming them.
void loadLoraAdapter(LlamaModel& model, const std::string& dir);

}  // namespace inst3d
