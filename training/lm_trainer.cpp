#include "training/lm_trainer.h"

#include <torch/torch.h>

#include <cmath>

#include "core/common/error.h"
#include "models/llm/llama_model.h"

namespace inst3d {

double scheduledLr(const TrainerConfig& c, int64_t step) {
    if (step < c.warmupSteps) return c.lr * double(step + 1) / double(c.warmupSteps);
    const double minLr = c.lr * c.minLrMulti;
    const double span = double(std::max<int64_t>(1, c.totalSteps - c.warmupSteps));
    const double progress = std::min(1.0, double(step - c.warmupSteps) / span);
    return minLr + (c.lr - minLr) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

void collateLm(const std::vector<LmExample>& batch, int64_t padId, at::Tensor& ids, at::Tensor& mask,
               at::Tensor& labels) {
    if (batch.empty()) fail("", "empty training batch");
    int64_t T = 0;
    for (const LmExample& e : batch) T = std::max<int64_t>(T, int64_t(e.prompt.size() + e.answer.size()));
    const int64_t B = int64_t(batch.size());
    ids = torch::full({B, T}, padId, torch::kInt64);
    mask = torch::zeros({B, T}, torch::kInt64);
    labels = torch::full({B, T}, -100, torch::kInt64);
    for (int64_t b = 0; b < B; ++b) {
        const LmExample& e = batch[b];
        const int64_t P = int64_t(e.prompt.size()), A = int64_t(e.answer.size());
        auto id = ids.accessor<int64_t, 2>();
        auto m = mask.accessor<int64_t, 2>();
        auto lab = labels.accessor<int64_t, 2>();
        for (int64_t t = 0; t < P + A; ++t) {
            id[b][t] = t < P ? e.prompt[t] : e.answer[t - P];
            m[b][t] = 1;
            if (t >= P) lab[b][t] = id[b][t];
        }
    }
}

at::Tensor causalLmLoss(const at::Tensor& logits, const at::Tensor& labels) {
    const int64_t V = logits.size(2);
    torch::Tensor pred = logits.narrow(1, 0, logits.size(1) - 1).reshape({-1, V});  // [B*(T-1), V]: predicts t+1
    torch::Tensor target = labels.narrow(1, 1, labels.size(1) - 1).reshape({-1}).to(logits.device());  // [B*(T-1)]
    return torch::nn::functional::cross_entropy(
        pred, target, torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
}

struct LmTrainer::Impl {
    LlamaModel& model;
    TrainerConfig cfg;
    std::vector<torch::Tensor> params;
    std::unique_ptr<torch::optim::AdamW> opt;
    int64_t steps = 0;
    double lr = 0, gradNorm = 0;

    Impl(LlamaModel& m, const TrainerConfig& c) : model(m), cfg(c), params(m.trainableParameters()) {
        if (params.empty()) fail("", "nothing to train: enable LoRA or embeddings first");
        opt = std::make_unique<torch::optim::AdamW>(
            params, torch::optim::AdamWOptions(c.lr).betas({c.beta1, c.beta2}).eps(c.eps).weight_decay(c.weightDecay));
    }

    torch::Tensor loss(const std::vector<LmExample>& batch, bool train) {
        torch::Tensor ids, mask, labels;
        collateLm(batch, cfg.padId, ids, mask, labels);
        return causalLmLoss(model.forwardTrain(ids, &mask, train), labels);
    }
};

LmTrainer::LmTrainer(LlamaModel& model, const TrainerConfig& config) : impl_(std::make_unique<Impl>(model, config)) {}
LmTrainer::~LmTrainer() = default;

double LmTrainer::step(const std::vector<LmExample>& batch) {
    Impl& s = *impl_;
    s.lr = scheduledLr(s.cfg, s.steps);
    for (auto& group : s.opt->param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(s.lr);
    s.opt->zero_grad();
    torch::Tensor loss = s.loss(batch, /*train=*/true);
    loss.backward();
    const double inf = std::numeric_limits<double>::infinity();
    s.gradNorm = torch::nn::utils::clip_grad_norm_(s.params, s.cfg.maxGradNorm > 0 ? s.cfg.maxGradNorm : inf);
    s.opt->step();
    ++s.steps;
    return loss.item<double>();
}

double LmTrainer::evalLoss(const std::vector<LmExample>& batch) {
    torch::NoGradGuard noGrad;
    return impl_->loss(batch, /*train=*/false).item<double>();
}

int64_t LmTrainer::stepsDone() const { return impl_->steps; }
double LmTrainer::lastLr() const { return impl_->lr; }
double LmTrainer::lastGradNorm() const { return impl_->gradNorm; }

}  // namespace inst3d
