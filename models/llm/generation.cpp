#include "models/llm/generation.h"

#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <limits>

#include "core/common/error.h"
#include "models/llm/llama_model.h"

namespace inst3d {

GenerationConfig GenerationConfig::inst3dEval() {
    GenerationConfig c;
    c.maxNewTokens = 64;
    c.numBeams = 5;
    c.doSample = true;
    c.topP = 0.9;
    c.repetitionPenalty = 3.0;
    c.lengthPenalty = 1.0;
    c.temperature = 1.0;
    return c;
}

GenerationConfig GenerationConfig::chatSceneEval() {
    GenerationConfig c = inst3dEval();
    c.doSample = false;
    c.topP = 1.0;
    return c;
}

// ---- logits processors ------------------------------------------------------------------------------

at::Tensor applyRepetitionPenalty(const at::Tensor& scores, const at::Tensor& ids, double penalty) {
    if (penalty == 1.0 || ids.numel() == 0) return scores;
    torch::Tensor idx = ids.to(torch::kInt64);                                         // [B, L]
    torch::Tensor seen = scores.gather(1, idx);                                        // [B, L]
    seen = torch::where(seen < 0, seen * penalty, seen / penalty);
    // Repeated ids write the same value: each token is penalised once, however often it occurs.
    return scores.scatter(1, idx, seen);                                               // [B, V]
}

at::Tensor applyTopK(const at::Tensor& scores, int k, int minKeep) {
    int64_t keep = std::min<int64_t>(std::max(k, minKeep), scores.size(-1));
    torch::Tensor kth = std::get<0>(scores.topk(keep, -1)).narrow(-1, keep - 1, 1);   // [B, 1]
    return scores.masked_fill(scores < kth, -std::numeric_limits<float>::infinity());
}

at::Tensor applyTopP(const at::Tensor& scores, double p, int minKeep) {
    auto [sorted, order] = scores.sort(-1, /*descending=*/false);                       // [B, V] ascending
    torch::Tensor cumulative = sorted.softmax(-1).cumsum(-1);                           // [B, V]
    torch::Tensor drop = cumulative <= (1.0 - p);
    drop.narrow(-1, drop.size(-1) - std::min<int64_t>(minKeep, drop.size(-1)), std::min<int64_t>(minKeep, drop.size(-1)))
        .fill_(false);
    drop = drop.scatter(-1, order, drop);                                               // back to vocabulary order
    return scores.masked_fill(drop, -std::numeric_limits<float>::infinity());
}

at::Tensor warpScores(const at::Tensor& scores, const GenerationConfig& c, int minKeep) {
    torch::Tensor s = scores;
    if (c.temperature != 1.0) {
        if (c.temperature <= 0) fail("", "temperature must be > 0 (use greedy decoding instead)");
        s = s / c.temperature;
    }
    if (c.topK > 0) s = applyTopK(s, c.topK, minKeep);
    if (c.topP < 1.0) s = applyTopP(s, c.topP, minKeep);
    return s;
}

struct TokenSampler::Impl {
    GenerationConfig config;
    at::Generator gen;
};

TokenSampler::TokenSampler(const GenerationConfig& config)
    : impl_(std::make_unique<Impl>(Impl{config, at::detail::createCPUGenerator(config.seed)})) {}
TokenSampler::~TokenSampler() = default;

int64_t TokenSampler::sample(const at::Tensor& scores) {
    torch::Tensor s = scores.dim() == 1 ? scores.unsqueeze(0) : scores;                // [1, V]
    torch::Tensor probs = warpScores(s.to(torch::kFloat32), impl_->config, 1).softmax(-1);
    return torch::multinomial(probs, 1, /*replacement=*/false, impl_->gen).item<int64_t>();
}

namespace {

using Ids = std::vector<int64_t>;

bool cancelled(const std::atomic<bool>* flag) { return flag && flag->load(); }

// [B, L] int64 from B equal-length rows (L may be 0).
torch::Tensor idsTensor(const std::vector<Ids>& rows) {
    const int64_t L = rows.empty() ? 0 : int64_t(rows[0].size());
    torch::Tensor t = torch::empty({int64_t(rows.size()), L}, torch::kInt64);
    for (size_t b = 0; b < rows.size(); ++b)
        std::copy(rows[b].begin(), rows[b].end(), t.data_ptr<int64_t>() + b * L);
    return t;
}

// A prompt given as ids or as embeddings. history() is what transformers keeps in input_ids (and so
// what the repetition penalty sees): the prompt ids, or nothing for an embeddings prompt.
struct Prompt {
    const Ids* ids = nullptr;
    const at::Tensor* embeds = nullptr;

    int64_t length() const { return ids ? int64_t(ids->size()) : embeds->size(1); }
    Ids history() const { return ids ? *ids : Ids{}; }
    // Runs the prompt into a one-sequence cache sized for the whole decode; last logits [1, V] on the CPU.
    // With `reuse` (an id prompt) the positions the cache already holds for this prompt's prefix are kept
    // and counted in *reused; at least the last prompt token always runs, for its logits.
    torch::Tensor prefill(LlamaModel& model, int maxNew, bool reuse, int64_t* reused) const {
        const int64_t need = length() + std::max(maxNew, 1);
        const int64_t start = reuse && ids ? std::min<int64_t>(model.cachedPrefixLength(*ids), length() - 1) : 0;
        if (start > 0)
            model.reserveCache(need);
        else
            model.allocateCache(1, need);
        *reused = start;
        torch::Tensor logits =
            ids ? model.forward(torch::tensor(Ids(ids->begin() + start, ids->end()), torch::kInt64).unsqueeze(0), start)
                : model.forwardEmbeds(*embeds, 0);                                                      // [1, P - start, V]
        return logits.select(1, logits.size(1) - 1).to(torch::kCPU);                                    // [1, V]
    }
};

// MinNewTokensLengthLogitsProcessor.
torch::Tensor banEos(torch::Tensor scores, int generated, const GenerationConfig& c) {
    if (generated >= c.minNewTokens) return scores;
    scores = scores.clone();
    scores.select(-1, c.eosId).fill_(-std::numeric_limits<float>::infinity());
    return scores;
}

// ---- greedy and sampling (transformers' _greedy_search / _sample) ---------------------------------

GenerationResult decodeOne(LlamaModel& model, const Prompt& prompt, const GenerationConfig& c, const TokenCallback& onToken,
                           const std::atomic<bool>* cancel) {
    GenerationResult r;
    torch::Tensor logits = prompt.prefill(model, c.maxNewTokens, c.reuseCache, &r.reusedPositions);  // [1, V]
    Ids history = prompt.history();
    TokenSampler sampler(c);
    int64_t pos = prompt.length();
    for (int i = 0; i < c.maxNewTokens; ++i) {
        if (cancelled(cancel)) {
            r.cancelled = true;
            break;
        }
        torch::Tensor scores = applyRepetitionPenalty(logits, idsTensor({history}), c.repetitionPenalty);  // [1, V]
        scores = banEos(scores, i, c);
        int64_t next = c.doSample ? sampler.sample(scores) : scores.argmax(-1).item<int64_t>();
        ++r.steps;
        if (next == c.eosId) {
            r.endedWithEos = true;
            break;
        }
        r.ids.push_back(next);
        history.push_back(next);
        if (onToken && !onToken(next)) {
            r.cancelled = true;
            break;
        }
        if (i + 1 == c.maxNewTokens) break;
        logits = model.forward(torch::tensor({next}, torch::kInt64).unsqueeze(0), pos++).select(1, 0).to(torch::kCPU);  // [1, V]
    }
    return r;
}

// ---- beam search (BeamSearchScorer + BeamHypotheses, early_stopping=False) -----------------------

// The n best finished hypotheses, kept exactly as transformers' BeamHypotheses does (including its
// bookkeeping of worstScore after an eviction), so ties and early stopping agree.
class Finished {
public:
    Finished(int numBeams, double lengthPenalty) : n_(numBeams), lp_(lengthPenalty) {}

    void add(Ids ids, double sumLogprobs, int64_t generatedLen, bool eos) {
        double score = sumLogprobs / std::pow(double(generatedLen), lp_);
        if (int(hyps_.size()) < n_ || score > worst_) {
            hyps_.push_back({std::move(ids), score, eos});
            if (int(hyps_.size()) > n_) {
                std::vector<std::pair<double, size_t>> ranked;  // (score, index) ascending
                for (size_t i = 0; i < hyps_.size(); ++i) ranked.push_back({hyps_[i].score, i});
                std::sort(ranked.begin(), ranked.end());
                hyps_.erase(hyps_.begin() + ranked[0].second);
                worst_ = ranked[1].first;
            } else {
                worst_ = std::min(score, worst_);
            }
        }
    }
    // No open beam can beat the kept hypotheses (heuristic: the best candidate at the current length).
    bool done(double bestCandidate, int64_t generatedLen) const {
        return int(hyps_.size()) >= n_ && worst_ >= bestCandidate / std::pow(double(generatedLen), lp_);
    }
    // Best first; among equal scores the later-added first (Python's stable sort, then pop()).
    std::vector<Hypothesis> ranked() const {
        std::vector<Hypothesis> out = hyps_;
        std::stable_sort(out.begin(), out.end(), [](const Hypothesis& a, const Hypothesis& b) { return a.score < b.score; });
        std::reverse(out.begin(), out.end());
        return out;
    }

private:
    int n_;
    double lp_;
    double worst_ = 1e9;
    std::vector<Hypothesis> hyps_;
};

GenerationResult decodeBeams(LlamaModel& model, const Prompt& prompt, const GenerationConfig& c,
                             const TokenCallback& onToken, const std::atomic<bool>* cancel) {
    const int N = c.numBeams;
    GenerationResult r;
    Finished finished(N, c.lengthPenalty);
    at::Generator gen = at::detail::createCPUGenerator(c.seed);

    // One prefill, then the prompt's cache copied to N identical beams; beams 1.. start at -1e9 so the
    // first step expands beam 0 only (transformers expands the input N times instead: same numbers).
    int64_t unused = 0;
    torch::Tensor logits = prompt.prefill(model, c.maxNewTokens, /*reuse=*/false, &unused);  // [1, V]
    model.reorderCache(torch::zeros({N}, torch::kInt64));
    logits = logits.expand({N, logits.size(1)});                        // [N, V]
    const int64_t V = logits.size(1);
    std::vector<float> beamScores(N, -1e9f);
    beamScores[0] = 0;
    std::vector<Ids> beams(N);
    const Ids promptHistory = prompt.history();
    int64_t pos = prompt.length();
    bool done = false;

    while (true) {
        if (cancelled(cancel)) {
            r.cancelled = true;
            break;
        }
        // Per-token scores: log-probs, then the processors (on log-probs, as 4.39), then the warpers.
        torch::Tensor scores = torch::log_softmax(logits, -1);                              // [N, V]
        std::vector<Ids> history(N, promptHistory);
        for (int b = 0; b < N; ++b) history[b].insert(history[b].end(), beams[b].begin(), beams[b].end());
        scores = applyRepetitionPenalty(scores, idsTensor(history), c.repetitionPenalty);
        scores = banEos(scores, int(beams[0].size()), c);
        if (c.doSample) scores = warpScores(scores, c, 2);
        scores = scores + torch::tensor(beamScores).unsqueeze(1);                           // [N, V]

        // 2N candidates over (beams x vocab), best first.
        torch::Tensor flat = scores.reshape({-1});                                          // [N*V]
        torch::Tensor top, idx;                                                             // [2N]
        if (c.doSample) {
            idx = torch::multinomial(flat.softmax(-1), 2 * N, /*replacement=*/false, gen);
            top = flat.gather(0, idx);
            auto [sorted, order] = top.sort(-1, /*descending=*/true);
            top = sorted;
            idx = idx.gather(0, order);
        } else {
            std::tie(top, idx) = flat.topk(2 * N);
        }
        auto topA = top.accessor<float, 1>();
        auto idxA = idx.accessor<int64_t, 1>();

        // Candidates become beams, or close a hypothesis when they are EOS among the N best.
        const int64_t generatedLen = int64_t(beams[0].size()) + 1;
        std::vector<Ids> nextBeams;
        std::vector<float> nextScores;
        std::vector<int64_t> parents;
        for (int rank = 0; rank < 2 * N && int(nextBeams.size()) < N; ++rank) {
            int64_t parent = idxA[rank] / V, token = idxA[rank] % V;
            if (token == c.eosId) {
                if (rank < N) finished.add(beams[parent], topA[rank], generatedLen, true);
                continue;
            }
            nextBeams.push_back(beams[parent]);
            nextBeams.back().push_back(token);
            nextScores.push_back(topA[rank]);
            parents.push_back(parent);
        }
        if (int(nextBeams.size()) < N) fail("", "beam search: too few non-EOS candidates");
        done = done || finished.done(topA[0], generatedLen);
        beams = std::move(nextBeams);
        beamScores = std::move(nextScores);
        ++r.steps;
        if (done || int(beams[0].size()) >= c.maxNewTokens) break;

        // Advance the surviving beams by their new token.
        model.reorderCache(torch::tensor(parents, torch::kInt64));
        Ids last;
        for (const Ids& b : beams) last.push_back(b.back());
        logits = model.forward(torch::tensor(last, torch::kInt64).unsqueeze(1), pos++).select(1, 0).to(torch::kCPU);  // [N, V]
    }
    if (r.steps == 0) return r;  // cancelled before the first token: nothing to rank
    if (!done)  // open beams compete with their own length
        for (int b = 0; b < N; ++b) finished.add(beams[b], beamScores[b], int64_t(beams[b].size()), false);

    r.hypotheses = finished.ranked();
    r.ids = r.hypotheses.front().ids;
    r.score = r.hypotheses.front().score;
    r.endedWithEos = r.hypotheses.front().endedWithEos;
    for (int64_t t : r.ids)
        if (onToken && !onToken(t)) {
            r.cancelled = true;
            break;
        }
    return r;
}

GenerationResult run(LlamaModel& model, const Prompt& prompt, const GenerationConfig& c, const TokenCallback& onToken,
                     const std::atomic<bool>* cancel) {
    if (c.maxNewTokens < 0) fail("", "max_new_tokens must be >= 0");
    if (c.numBeams < 1) fail("", "num_beams must be >= 1");
    if (c.eosId < 0 || c.eosId >= model.config().vocabSize) fail("", "EOS id out of the vocabulary");
    if (c.repetitionPenalty <= 0) fail("", "repetition_penalty must be > 0");
    if (c.maxNewTokens == 0) return {};
    torch::NoGradGuard noGrad;
    return c.numBeams == 1 ? decodeOne(model, prompt, c, onToken, cancel) : decodeBeams(model, prompt, c, onToken, cancel);
}

}  // namespace

GenerationResult generate(LlamaModel& model, const std::vector<int64_t>& promptIds, const GenerationConfig& config,
                          const TokenCallback& onToken, const std::atomic<bool>* cancel) {
    if (promptIds.empty()) fail("", "generation needs a non-empty prompt");
    Prompt p;
    p.ids = &promptIds;
    return run(model, p, config, onToken, cancel);
}

GenerationResult generateFromEmbeds(LlamaModel& model, const at::Tensor& promptEmbeds, const GenerationConfig& config,
                                    const TokenCallback& onToken, const std::atomic<bool>* cancel) {
    if (promptEmbeds.dim() != 3 || promptEmbeds.size(0) != 1 || promptEmbeds.size(1) == 0)
        fail("", "inputs_embeds prompt must be [1, T, D] with T > 0");
    Prompt p;
    p.embeds = &promptEmbeds;
    return run(model, p, config, onToken, cancel);
}

}  // namespace inst3d
