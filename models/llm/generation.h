// Decoding for LlamaModel: greedy, sampling (temperature, top-k, top-p, seeded) and beam search, with
// the semantics of transformers 4.39.3's generate() (the version Inst3D-LMM pins), re-implemented:
//
//  - Greedy / sampling: the repetition penalty runs on the raw logits, then (sampling only) the warpers
//    temperature -> top-k -> top-p, softmax, one draw.
//  - Beam search: log_softmax over the vocabulary, *then* the repetition penalty (4.39's beam_search
//    applies its logits processors to log-probabilities, so a repeated token's log-prob is multiplied by
//    the penalty), plus the beam scores; 2 * num_beams candidates by top-k over (beams x vocab). An EOS
//    candidate ranked below num_beams is dropped; one ranked higher closes a hypothesis (kept without
//    the EOS) scored sum_logprobs / generated_len ** length_penalty, where generated_len counts the new
//    tokens *including* that EOS (4.39 passes cur_len - decoder_prompt_len, so the prompt never counts;
//    older releases divided by the whole sequence length, prompt included). Beams still open at
//    max_new_tokens are scored with their own length. early_stopping=False: stop once num_beams
//    hypotheses exist and the worst of them >= best candidate score / generated_len ** length_penalty.
//  - Beam sampling (num_beams > 1 with do_sample, what Inst3D's evaluation asks for): the warpers run on
//    the penalised log-probs (min_tokens_to_keep 2), beam scores are added, and 2 * num_beams candidates
//    are drawn without replacement from the softmax over (beams x vocab), then sorted by score.
//  - An inputs_embeds prompt leaves transformers' input_ids empty: the repetition penalty then sees only
//    the generated tokens, and max/min lengths count new tokens only. An id prompt is penalised too.
//
// <torch/torch.h> stays out of this header (at::Tensor forward-declared).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace at {
class Tensor;
}

namespace inst3d {

class LlamaModel;

struct GenerationConfig {
    int maxNewTokens = 64;
    int minNewTokens = 0;            // EOS is banned before this many new tokens
    int numBeams = 1;
    bool doSample = false;
    double temperature = 1.0;        // sampling only
    double topP = 1.0;               // sampling only; 1 = off
    int topK = 50;                   // sampling only; 0 = off. 50 is transformers' GenerationConfig default,
                                     // so a call that sets only top_p samples from the top 50 as well
    double repetitionPenalty = 1.0;  // 1 = off
    double lengthPenalty = 1.0;      // beam search only
    int64_t eosId = 2;               // `</s>`
    uint64_t seed = 0;               // sampling generator
    // Greedy / sampling with an id prompt: keep the cached keys/values of the longest prefix this prompt
    // shares with what the model's cache holds (LlamaModel::cachedPrefixLength: a chat's earlier turns)
    // and run only the rest. The logits are those of a full prefill up to float rounding.
    bool reuseCache = false;

    // Inst3D-LMM's evaluation call (brief §1.9): generate(max_new_tokens=64, num_beams=5, do_sample=True,
    // top_p=0.9, min_length=1, repetition_penalty=3.0, length_penalty=1, temperature=1.0), top_k left at
    // its default 50. min_length=1 does nothing there: with inputs_embeds transformers lowers min_length
    // by the prompt length (to 0), and with ids the prompt is already longer.
    static GenerationConfig inst3dEval();
    // Chat-Scene's: the same with do_sample and top_p off (deterministic beam search).
    static GenerationConfig chatSceneEval();
};

struct Hypothesis {
    std::vector<int64_t> ids;  // new tokens, without EOS
    double score = 0;          // beam search: sum of log-probs / generated_len ** length_penalty
    bool endedWithEos = false; // closed by EOS (else: an open beam at the length limit or cancellation)
};

struct GenerationResult {
    std::vector<int64_t> ids;   // new tokens, without EOS
    double score = 0;           // beam search: the best hypothesis' score; greedy / sampling: 0
    bool endedWithEos = false;  // greedy / sampling: EOS was drawn; beam search: the best hypothesis ended with EOS
    bool cancelled = false;     // the callback returned false or the flag was raised
    int steps = 0;              // decoding steps (one token per sequence each)
    int64_t reusedPositions = 0; // prompt positions whose keys/values came from the cache (reuseCache)
    std::vector<Hypothesis> hypotheses;  // beam search: every hypothesis kept, best first
};

// Called with each new token; returning false stops decoding (cancelled = true). Greedy and sampling
// call it as tokens are decoded. Beam search calls it for the tokens of the final best hypothesis once
// the search is over (earlier beams can still be overtaken, so nothing is streamed before).
using TokenCallback = std::function<bool(int64_t)>;

// The model runs on its device; the logits processors and the search run on the CPU ([beams, V] fp32 per
// step, a copy that the token id read-back needs anyway).
// promptIds: a non-empty id sequence (BOS first when the model expects it). `cancel`, when given, is
// read before each step; raising it stops decoding (beam search then ranks the beams open at that point).
GenerationResult generate(LlamaModel& model, const std::vector<int64_t>& promptIds, const GenerationConfig& config,
                          const TokenCallback& onToken = {}, const std::atomic<bool>* cancel = nullptr);
// The prompt as embeddings [1, T, D] (Inst3D splices object embeddings between text embeddings).
GenerationResult generateFromEmbeds(LlamaModel& model, const at::Tensor& promptEmbeds, const GenerationConfig& config,
                                    const TokenCallback& onToken = {}, const std::atomic<bool>* cancel = nullptr);

// ---- logits processors (scores [B, V] fp32; token ids [B, L] int64, L may be 0) -----------------------

// RepetitionPenaltyLogitsProcessor: every token present in ids: score < 0 -> score * p, else score / p.
at::Tensor applyRepetitionPenalty(const at::Tensor& scores, const at::Tensor& ids, double penalty);
// TopKLogitsWarper: scores below the k-th largest -> -inf (k raised to minKeep, capped at V).
at::Tensor applyTopK(const at::Tensor& scores, int k, int minKeep = 1);
// TopPLogitsWarper: drop the least likely tokens whose cumulative probability stays <= 1 - p (ascending
// order); the minKeep most likely always stay.
at::Tensor applyTopP(const at::Tensor& scores, double p, int minKeep = 1);
// temperature (if != 1) -> top-k (if > 0) -> top-p (if < 1), as transformers orders its warpers.
at::Tensor warpScores(const at::Tensor& scores, const GenerationConfig& config, int minKeep = 1);

// Draws tokens from warped scores with its own generator seeded from config.seed: the same seed gives
// the same draws.
class TokenSampler {
public:
    explicit TokenSampler(const GenerationConfig& config);
    ~TokenSampler();
    int64_t sample(const at::Tensor& scores);  // scores [V] or [1, V]; warps, softmax, one draw

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace inst3d
