// Supervised fine-tuning of the LLaMA runtime (LoRA and / or embeddings), Chat-Scene / Inst3D style
// (brief §1.7, §1.8, §2.8): AdamW, linear warmup then cosine decay to lr * minLrMulti stepped every
// iteration, optional global-norm gradient clipping, and transformers' causal-LM loss: labels are the
// input ids with prompt and padding positions set to -100, shifted by one, cross-entropy averaged over the
// supervised tokens of the whole batch. Batches are padded on the right (attention mask 0 there).
// <torch/torch.h> stays out of this header.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

namespace at {
class Tensor;
}

namespace inst3d {

class LlamaModel;

// One conversation: prompt ids (with BOS) and the supervised answer ids (with EOS, as "answer</s>").
struct LmExample {
    std::vector<int64_t> prompt;
    std::vector<int64_t> answer;
};

struct TrainerConfig {
    double lr = 5e-6;              // peak learning rate (Inst3D / Chat-Scene)
    double weightDecay = 0.02;     // AdamW, on every trainable tensor (LoRA A/B and embeddings are all 2-D)
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    int64_t totalSteps = 1000;     // schedule length
    int64_t warmupSteps = 0;       // linear warmup from 0 (Inst3D: 0.1 epoch)
    double minLrMulti = 0.01;      // cosine floor = lr * minLrMulti
    double maxGradNorm = -1;       // > 0: clip the global grad norm (Chat-Scene 0.01; Inst3D -1 = off)
    int64_t padId = 0;             // Vicuna's pad id
};

// Learning rate of step `step` (0-based): lr * (step + 1) / warmup during warmup (never 0, so the first
// step moves), then min + (lr - min) * 0.5 * (1 + cos(pi * progress)), progress from 0 at the end of
// warmup to 1 at totalSteps (and held after).
double scheduledLr(const TrainerConfig& config, int64_t step);

// Right-padded batch: ids [B, T] int64 (padId after the end), mask [B, T] int64 (1 = token), labels
// [B, T] int64 (the answer ids at answer positions, -100 elsewhere).
void collateLm(const std::vector<LmExample>& batch, int64_t padId, at::Tensor& ids, at::Tensor& mask,
               at::Tensor& labels);

// Mean cross-entropy of the next-token predictions at supervised positions (logits [B, T, V], labels
// [B, T] unshifted): a scalar with autograd.
at::Tensor causalLmLoss(const at::Tensor& logits, const at::Tensor& labels);

class LmTrainer {
public:
    // Optimises model.trainableParameters() (call enableLora / setTrainEmbeddings first).
    LmTrainer(LlamaModel& model, const TrainerConfig& config);
    ~LmTrainer();
    // forward (LoRA dropout on) -> loss -> backward -> optional clip -> AdamW step at scheduledLr(step).
    // Returns the loss before the update.
    double step(const std::vector<LmExample>& batch);
    // The loss without dropout or autograd.
    double evalLoss(const std::vector<LmExample>& batch);
    int64_t stepsDone() const;
    double lastLr() const;
    double lastGradNorm() const;  // before clipping

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace inst3d
