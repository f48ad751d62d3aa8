// LLaMA / Vicuna decoder (transformers' LlamaForCausalLM math) in LibTorch, for inference:
// RMSNorm in fp32, HF `rotate_half` RoPE, SwiGLU MLP, MHA and GQA, a preallocated KV cache, and an
// `inputs_embeds` entry so object / scene embeddings can be spliced between text embeddings.
// <torch/torch.h> stays out of this header (pimpl; at::Tensor forward-declared).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/llm/llama_config.h"
#include "models/llm/lora.h"

namespace at {
class Tensor;
}

namespace inst3d {

enum class LlmDType { F32, F16, BF16 };
LlmDType llmDTypeFromName(const std::string& name);  // "f32"/"float32", "f16"/"float16", "bf16"/"bfloat16"

class LlamaModel {
public:
    // Reads DIR/config.json and the weights through models/weights/checkpoint_files.h:
    // model.safetensors or model.safetensors.index.json, else pytorch_model.bin or its index (the
    // canonical Vicuna files, read by the project's own unpickler). Files are memory-mapped; with F32
    // weights stored as F32 the tensors view the files. Weights are converted to
    // `dtype`. `*.rotary_emb.inv_freq` keys are ignored. Missing or misshapen tensors: Error naming the
    // tensor and the file. `device` (models/weights/torch_device.h): each tensor moves there as it is read, so the host
    // never holds a second copy of the model.
    static std::unique_ptr<LlamaModel> load(const std::string& dir, LlmDType dtype = LlmDType::F32,
                                            const std::string& device = "cpu");
    // A model of `config`'s shapes with random weights, for benchmarks and tests. Fast enough for 7B
    // shapes: one pool of uniform numbers is drawn once and tiled over every tensor (scaled by
    // 1/sqrt(fan_in)), so values repeat with the pool's period. Norm weights are 1.
    static std::unique_ptr<LlamaModel> random(const LlamaConfig& config, LlmDType dtype = LlmDType::F32,
                                              uint64_t seed = 0, const std::string& device = "cpu");
    ~LlamaModel();

    const LlamaConfig& config() const;
    LlmDType dtype() const;
    std::string device() const;  // "cpu", "cuda:0", ...

    // transformers' resize_token_embeddings for added tokens (<OBJ000>..): embed_tokens and lm_head get
    // `newVocab` rows; old rows are kept as they are, new rows are drawn from N(0, 0.02) (the model's
    // _init_weights with initializer_range 0.02, what Chat-Scene / Inst3D get from transformers 4.39),
    // embeddings first then lm_head, from one generator seeded with `seed`. Shrinking drops the last rows.
    // config().vocabSize becomes newVocab. A tied lm_head stays tied.
    void resizeTokenEmbeddings(int64_t newVocab, uint64_t seed = 0);

    // Inputs may live anywhere (they are moved to the model's device); outputs live on the model's device.
    // Token embeddings of ids [B, T] (int64) -> [B, T, D] in the model dtype.
    at::Tensor embed(const at::Tensor& ids) const;
    // Runs the new positions [startPos, startPos + T) and writes their keys/values into the KV cache
    // (positions before startPos must be in the cache already). Returns fp32 logits [B, T, V].
    // hiddenStates, when given, receives T-position hidden states: the embeddings, then each layer's
    // output (the last one after the final norm), as transformers' output_hidden_states.
    at::Tensor forward(const at::Tensor& ids, int64_t startPos, std::vector<at::Tensor>* hiddenStates = nullptr);
    at::Tensor forwardEmbeds(const at::Tensor& embeds, int64_t startPos,
                             std::vector<at::Tensor>* hiddenStates = nullptr);
    // Training forward: the whole sequence from position 0, autograd on, no KV cache, LoRA dropout when
    // `train` (false: the same logits as forward()). ids [B, T] int64, or embeds [B, T, D]; attentionMask
    // [B, T] (1 = token, 0 = padding), optional, masks padding keys as transformers does. fp32 logits
    // [B, T, V]. The same layer code as forward().
    at::Tensor forwardTrain(const at::Tensor& ids, const at::Tensor* attentionMask = nullptr, bool train = true);
    at::Tensor forwardTrainEmbeds(const at::Tensor& embeds, const at::Tensor* attentionMask = nullptr,
                                  bool train = true);

    // LoRA (models/llm/lora.h): adds A [r, in] (kaiming-uniform a=sqrt(5), from a generator seeded with
    // `seed`, layers then q, k, v, o, gate, up, down in order) and B [out, r] = 0 to the targeted
    // projections of every layer, in the model dtype, requires_grad. Base weights stay frozen. Error when
    // LoRA is already attached or a target is unknown.
    void enableLora(const LoraConfig& config, uint64_t seed = 0);
    const LoraConfig* loraConfig() const;  // null without LoRA
    // W += (alpha / r) B@A (computed in fp32, cast to the model dtype, into new tensors: loaded weights
    // may view read-only files), then the LoRA path is removed.
    void mergeLora();
    // Inst3D's train_emb: embed_tokens and lm_head become trainable (copied first; tied stays tied).
    void setTrainEmbeddings(bool on);
    bool trainEmbeddings() const;
    // Full fine-tuning: every base weight (norms, projections) becomes trainable too (copied first, as
    // loaded weights may view read-only files). With LoRA still attached, both train.
    void setTrainBaseWeights(bool on);
    // What an optimizer should update: LoRA A/B, plus embed_tokens / lm_head with setTrainEmbeddings, plus
    // the base weights with setTrainBaseWeights.
    std::vector<at::Tensor> trainableParameters() const;
    // The same tensors (shared, not copies) under PEFT's adapter keys (lora.h), in a fixed order.
    std::vector<std::pair<std::string, at::Tensor>> adapterTensors() const;
    // Every weight under its Hugging Face name (model.layers.0.self_attn.q_proj.weight, ...; lm_head
    // omitted when tied), shared, for writing a (merged) checkpoint.
    std::vector<std::pair<std::string, at::Tensor>> namedWeights() const;

    // (Re)allocates the KV cache for `batch` sequences of up to `maxLen` positions. forward() allocates
    // [B, maxPositions] on first use when the batch changes.
    void allocateCache(int64_t batch, int64_t maxLen);
    // Beam search: cache row i becomes old row beamIdx[i] (int64 [N]) for the positions written so far.
    // N may differ from the current batch: indices {0, 0, 0} expand a one-sequence prompt to 3 beams.
    void reorderCache(const at::Tensor& beamIdx);
    int64_t cacheBatch() const;
    int64_t cacheCapacity() const;  // positions the cache can hold
    // Grows the cache to at least maxLen positions keeping what is written (and the batch; batch 1 when
    // there is no cache yet). Capacity at least doubles, up to config().maxPositions, so a chat that
    // grows turn by turn reallocates rarely.
    void reserveCache(int64_t maxLen);
    // How many leading ids of `ids` already have their keys/values in the cache: the common prefix with
    // the ids run through forward() since the cache last changed shape (one sequence only; 0 after an
    // inputs_embeds forward, a reorder or a batch of several). A chat's next prompt starts with the
    // previous one, so only the new turn needs computing.
    int64_t cachedPrefixLength(const std::vector<int64_t>& ids) const;

    // Greedy decoding for one sequence: the prompt, then up to maxNewTokens tokens; stops after EOS
    // (which is not returned). onToken returning false cancels. Sampling, beam search, repetition
    // penalty and inputs_embeds prompts: models/llm/generation.h.
    std::vector<int64_t> generateGreedy(const std::vector<int64_t>& prompt, int maxNewTokens,
                                        const std::function<bool(int64_t)>& onToken = {});

private:
    LlamaModel();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace inst3d
